import { describe, expect, it } from "vitest";
import { applyEvents, emptyDashboard } from "../src/state/dashboard-state.js";
import { advance, initialCursor } from "../src/state/resume-cursor.js";
import { activity, delivered, statusChanged } from "./fixtures.js";

describe("resuming the stream", () => {
  it("applies each seq once across a replay that overlaps what arrived before", () => {
    const events = delivered([activity("a"), activity("b"), activity("c"), statusChanged("WP01", null, "planned")], 1);
    let state = applyEvents(emptyDashboard(), events.slice(0, 3));
    expect(state.cursor.lastSeq).toBe(3);
    // A history page and the live stream may overlap: what is at or below the cursor is not applied again.
    state = applyEvents(state, events.slice(1));
    expect(state.cursor.lastSeq).toBe(4);
    expect(state.activity.entries.map((entry) => entry.seq)).toEqual([4, 3, 2, 1]);
    expect(state.board.statusEvents.size).toBe(1);
    const same = applyEvents(state, events);
    expect(same).toBe(state);
  });

  it("keeps the cursor when nothing is new", () => {
    const cursor = { lastSeq: 5 };
    expect(advance(cursor, [{ seq: 3 }, { seq: 5 }])).toEqual({ cursor, fresh: [] });
    expect(advance(initialCursor(), [{ seq: 2 }, { seq: 1 }, { seq: 3 }]).fresh).toEqual([{ seq: 2 }, { seq: 3 }]);
  });
});
