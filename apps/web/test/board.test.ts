import { describe, expect, it } from "vitest";
import { addToBoard, buildBoard, emptyBoardSource } from "../src/state/board.js";
import { statusChanged } from "./fixtures.js";

describe("the board", () => {
  it("puts each work package in the lane reduceStatus gives it, per feature", () => {
    const source = addToBoard(emptyBoardSource(), [
      statusChanged("WP01", null, "planned", { feature: "001-login" }),
      statusChanged("WP01", "planned", "claimed", { feature: "001-login" }),
      statusChanged("WP02", null, "planned", { feature: "001-login" }),
      statusChanged("WP01", null, "planned", { feature: "002-search" }),
    ]);
    const board = buildBoard(source);
    expect(board.groups.map((group) => group.feature)).toEqual(["001-login", "002-search"]);
    const login = board.groups[0]!;
    expect(login.lanes.claimed.map((card) => card.wpId)).toEqual(["WP01"]);
    expect(login.lanes.planned.map((card) => card.wpId)).toEqual(["WP02"]);
    expect(board.groups[1]!.lanes.planned.map((card) => card.wpId)).toEqual(["WP01"]);
  });

  it("moves a card when a status change arrives, whatever order events come in, and counts repeats once", () => {
    const first = statusChanged("WP01", null, "planned", { n: 1 });
    const second = statusChanged("WP01", "planned", "claimed", { n: 2 });
    const third = statusChanged("WP01", "claimed", "doing", { n: 3 });
    let source = addToBoard(emptyBoardSource(), [third, first]);
    source = addToBoard(source, [second, second]);
    const board = buildBoard(source);
    expect(board.groups[0]!.lanes.in_progress.map((card) => card.wpId)).toEqual(["WP01"]);
    expect(board.groups[0]!.lanes.in_progress[0]!.transitions).toBe(3);
    expect(board.anomalies).toBe(0);
  });

  it("shows anomalies next to their feature", () => {
    const source = addToBoard(emptyBoardSource(), [statusChanged("WP09", null, "planned", { feature: "f" }), statusChanged("WP09", "planned", "done", { feature: "f" })]);
    const board = buildBoard(source);
    expect(board.anomalies).toBe(1);
    expect(board.groups[0]!.anomalies[0]).toMatchObject({ kind: "illegal_transition", wp_id: "WP09" });
    expect(board.groups[0]!.lanes.planned.map((card) => card.wpId)).toEqual(["WP09"]);
  });

  it("leaves the source unchanged by events the board does not use", () => {
    const source = emptyBoardSource();
    expect(addToBoard(source, [])).toBe(source);
  });
});
