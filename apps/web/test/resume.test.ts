import { describe, expect, it } from "vitest";
import { applyEvents, emptyDashboard } from "../src/state/dashboard-state.js";
import { advance, initialCursor, onGap, onReset } from "../src/state/resume-cursor.js";
import { backoffDelay } from "../src/net/backoff.js";
import { activity, delivered, statusChanged } from "./fixtures.js";

describe("resuming the stream", () => {
  it("applies each seq once across a replay that overlaps what arrived before", () => {
    const events = delivered([activity("a"), activity("b"), activity("c"), statusChanged("WP01", null, "planned")], 1);
    let state = applyEvents(emptyDashboard(), events.slice(0, 3));
    expect(state.cursor.lastSeq).toBe(3);
    // After a reconnect the hub replays from the cursor; a page that asked from 1 gets repeats.
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

  it("re-reads dropped frames after a gap, restarts on a store it does not know, notes pruned history", () => {
    expect(onGap({ lastSeq: 10 }, { from_seq: 10, to_seq: 20 })).toEqual({ kind: "resubscribe", since: 10 });
    expect(onReset({ lastSeq: 50 }, { reason: "position_ahead", seq: 3, message: "" })).toEqual({ kind: "restart" });
    expect(onReset({ lastSeq: 2 }, { reason: "position_unavailable", seq: 40, message: "pruned" })).toEqual({ kind: "skip", seq: 40, message: "pruned" });
  });

  it("waits a full-jitter delay under a growing, capped ceiling", () => {
    expect(backoffDelay(0, {}, () => 0.999)).toBe(249);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(1000);
    expect(backoffDelay(50, { capMs: 8_000 }, () => 0.999)).toBe(7992);
    expect(backoffDelay(4, {}, () => 0)).toBe(0);
  });
});
