import { describe, expect, it } from "vitest";
import { addLive, addOlder, emptyActivity, facets, filterActivity, olderPosition } from "../src/state/activity.js";
import { PROJECT, activity, delivered, inProject, statusChanged } from "./fixtures.js";

const OTHER = "c0ffee00-1234-4abc-8def-0123456789ab";
const keys = (state: ReturnType<typeof emptyActivity>) => state.entries.map((entry) => entry.key);

describe("the activity log", () => {
  it("puts live events newest first, in the order delivered, and keeps each event (stream and seq) once", () => {
    let state = addLive(emptyActivity(), delivered([activity("one"), activity("two")], 1));
    state = addLive(state, delivered([activity("two again")], 2));
    state = addLive(state, delivered([activity("three")], 3));
    expect(state.entries.map((entry) => entry.seq)).toEqual([3, 2, 1]);
    expect(state.entries[0]?.message).toBe("three");
  });

  it("keeps events of different streams with the same seq apart, in the order they came", () => {
    let state = addLive(emptyActivity(), delivered([activity("p1")], 1));
    state = addLive(state, [...delivered([inProject(activity("o1"), OTHER)], 1), ...delivered([inProject(activity("n1"), null)], 1)]);
    state = addLive(state, delivered([activity("p2")], 2));
    expect(keys(state)).toEqual([`${PROJECT}:2`, "-:1", `${OTHER}:1`, `${PROJECT}:1`]);
    expect(state.entries.map((entry) => entry.message)).toEqual(["p2", "n1", "o1", "p1"]);
  });

  it("drops the oldest past the cap and says older ones exist", () => {
    const state = addLive(emptyActivity(3), delivered([activity("a"), activity("b"), activity("c"), activity("d"), activity("e")], 10));
    expect(state.entries.map((entry) => entry.seq)).toEqual([14, 13, 12]);
    expect(state.hasOlder).toBe(true);
    expect(olderPosition(state)).toBe(`${PROJECT}:12`);
  });

  it("adds an older page at the bottom and grows the cap so it stays", () => {
    let state = addLive(emptyActivity(2), delivered([activity("c"), activity("d")], 3));
    // History answers newest first.
    state = addOlder(state, delivered([activity("a"), activity("b")], 1).reverse(), false);
    expect(state.entries.map((entry) => entry.seq)).toEqual([4, 3, 2, 1]);
    expect(state.cap).toBe(4);
    expect(state.hasOlder).toBe(false);
    state = addLive(state, delivered([activity("e")], 5));
    expect(state.entries.map((entry) => entry.seq)).toEqual([5, 4, 3, 2]);
    expect(state.entries.map((entry) => entry.order)).toEqual([...state.entries.map((entry) => entry.order)].sort((a, b) => b - a));
  });

  it("reads older history before the oldest seq shown in each stream", () => {
    let state = addLive(emptyActivity(), delivered([activity("p7"), activity("p8")], 7));
    state = addOlder(state, [...delivered([inProject(activity("o3"), OTHER)], 3), ...delivered([activity("p6")], 6)], true);
    expect(olderPosition(state)).toBe(`${PROJECT}:6,${OTHER}:3`);
    expect(olderPosition(emptyActivity())).toBeUndefined();
  });

  it("describes machine and work events, with level, source and machine", () => {
    const state = addLive(
      emptyActivity(),
      delivered([activity("disk full", { level: "error", source: "worker-1", node: "node-b" }), statusChanged("WP01", "planned", "claimed")], 1),
    );
    const [status, machine] = state.entries;
    expect(machine).toMatchObject({ level: "error", source: "worker-1", machine: "node-b", message: "disk full", eventType: "activity_log" });
    expect(status).toMatchObject({ level: "info", source: "WorkPackage", message: "WP01 planned → claimed", eventType: "WPStatusChanged" });
  });

  it("filters by level, source and machine, and lists the values to filter by", () => {
    const entries = addLive(
      emptyActivity(),
      delivered([activity("a", { level: "error", source: "s1", node: "n1" }), activity("b", { source: "s2", node: "n1" }), activity("c", { source: "s1", node: "n2" })], 1),
    ).entries;
    expect(filterActivity(entries, { level: "error" }).map((entry) => entry.message)).toEqual(["a"]);
    expect(filterActivity(entries, { source: "s1" }).map((entry) => entry.message)).toEqual(["c", "a"]);
    expect(filterActivity(entries, { source: "s1", machine: "n2" }).map((entry) => entry.message)).toEqual(["c"]);
    expect(filterActivity(entries, {})).toBe(entries);
    expect(facets(entries)).toEqual({ sources: ["s1", "s2"], machines: ["n1", "n2"] });
  });
});
