import { describe, expect, it } from "vitest";
import { applyBackfill, applyEvents, applyNewest, emptyDashboard } from "../src/state/dashboard-state.js";
import { buildBoard } from "../src/state/board.js";
import { activity, delivered, session, statusChanged } from "./fixtures.js";

const at = "2026-05-01T10:00:00.000Z";

describe("the first load from history", () => {
  it("shows the newest page below what the live stream delivered meanwhile, and knows older ones exist", () => {
    const page = delivered([activity("a"), activity("b"), activity("c")], 40).reverse(); // newest first, as history answers
    const live = applyEvents(emptyDashboard(), delivered([activity("live")], 43));
    const state = applyNewest(live, page, true);
    expect(state.activity.entries.map((entry) => entry.seq)).toEqual([43, 42, 41, 40]);
    expect(state.activity.hasOlder).toBe(true);
    expect(applyNewest(emptyDashboard(), page, false).activity.hasOlder).toBe(false);
  });

  it("folds older board and session history in without touching the log or the cursor", () => {
    // Made in the order they happened (the board orders by Lamport clock), delivered in another.
    const older = delivered([statusChanged("WP01", null, "planned", { feature: "f" }), statusChanged("WP01", "planned", "claimed", { feature: "f" }), session("s1", { kind: "phase", phase: "p", at })], 3);
    const newest = delivered([statusChanged("WP01", "claimed", "in_progress", { feature: "f" }), session("s1", { kind: "progress", phase: "p", current: 2, total: 3 })], 50);
    const live = delivered([statusChanged("WP01", "in_progress", "for_review", { feature: "f" })], 60);
    let state = applyEvents(emptyDashboard(), live);
    state = applyNewest(state, [...newest].reverse(), false);
    // History behind the newest page arrives last.
    state = applyBackfill(state, older);
    expect(state.cursor.position).toEqual(new Map([[live[0]!.stream, 60]]));
    expect(state.activity.entries.map((entry) => entry.seq)).toEqual([60, 51, 50]);
    const board = buildBoard(state.board);
    expect(board.anomalies).toBe(0);
    expect(board.groups[0]?.lanes.for_review.map((card) => card.wpId)).toEqual(["WP01"]);
    expect(board.groups[0]?.lanes.for_review[0]?.transitions).toBe(4);
    const run = state.sessions.get("s1")!;
    expect(run.phases.map((phase) => phase.phase)).toEqual(["p"]);
    expect(run.progress?.current).toBe(2);
  });
});
