import { describe, expect, it } from "vitest";
import { applyEvents, emptyDashboard } from "../src/state/dashboard-state.js";
import { advance, initialCursor } from "../src/state/resume-cursor.js";
import { PROJECT, activity, delivered, inProject, statusChanged } from "./fixtures.js";

describe("resuming the stream", () => {
  it("applies each event (stream and seq) once across a replay that overlaps what arrived before", () => {
    const events = delivered([activity("a"), activity("b"), activity("c"), statusChanged("WP01", null, "planned")], 1);
    let state = applyEvents(emptyDashboard(), events.slice(0, 3));
    expect(state.cursor.position).toEqual(new Map([[PROJECT, 3]]));
    // A replay may overlap: what is at or below its stream's cursor is not applied again.
    state = applyEvents(state, events.slice(1));
    expect(state.cursor.position).toEqual(new Map([[PROJECT, 4]]));
    expect(state.activity.entries.map((entry) => entry.seq)).toEqual([4, 3, 2, 1]);
    expect(state.board.statusEvents.size).toBe(1);
    const same = applyEvents(state, events);
    expect(same).toBe(state);
  });

  it("keeps a cursor per stream: a low seq of another stream is new", () => {
    let state = applyEvents(emptyDashboard(), delivered([activity("a"), activity("b")], 10));
    state = applyEvents(state, delivered([inProject(activity("c"), null)], 1));
    expect(state.cursor.position).toEqual(new Map([[PROJECT, 11], ["-", 1]]));
    expect(state.activity.entries.map((entry) => entry.key)).toEqual(["-:1", `${PROJECT}:11`, `${PROJECT}:10`]);
  });

  it("keeps the cursor when nothing is new", () => {
    const cursor = { position: new Map([["-", 5]]) };
    expect(advance(cursor, [{ stream: "-", seq: 3 }, { stream: "-", seq: 5 }])).toEqual({ cursor, fresh: [] });
    expect(advance(initialCursor(), [{ stream: "-", seq: 2 }, { stream: "-", seq: 1 }, { stream: PROJECT, seq: 1 }, { stream: "-", seq: 3 }]).fresh).toEqual([
      { stream: "-", seq: 2 },
      { stream: PROJECT, seq: 1 },
      { stream: "-", seq: 3 },
    ]);
  });
});
