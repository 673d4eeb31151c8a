import { describe, expect, it } from "vitest";
import { addSessionFrames, percent, sortedSessions } from "../src/state/sessions.js";
import { inProject, session } from "./fixtures.js";

const at = "2026-05-01T10:00:00.000Z";

describe("sessions", () => {
  it("folds phases, progress, a question and the result", () => {
    let sessions = addSessionFrames(new Map(), [
      { seq: 1, event: session("s1", { kind: "phase", phase: "fetch", at }) },
      { seq: 2, event: session("s1", { kind: "progress", phase: "fetch", current: 1, total: 4 }) },
      { seq: 3, event: session("s1", { kind: "input_required", fields: [], reason: "which branch?", plugin: null }) },
    ]);
    let view = sessions.get("s1")!;
    expect(view.phases.map((phase) => phase.phase)).toEqual(["fetch"]);
    expect(percent(view.progress)).toBe(25);
    expect(view.inputRequired?.reason).toBe("which branch?");
    sessions = addSessionFrames(sessions, [
      { seq: 4, event: session("s1", { kind: "progress", phase: "fetch", current: 4, total: 4 }) },
      { seq: 5, event: session("s1", { kind: "done", result: { files: 3 } }) },
    ]);
    view = sessions.get("s1")!;
    expect(view.inputRequired).toBeUndefined();
    expect(percent(view.progress)).toBe(100);
    expect(view.result).toEqual({ kind: "done", result: { files: 3 } });
  });

  it("ignores a frame it has already applied", () => {
    const frame = { seq: 2, event: session("s1", { kind: "progress", phase: "p", current: 2, total: 4 }) };
    const once = addSessionFrames(new Map(), [frame]);
    const twice = addSessionFrames(once, [{ seq: 1, event: session("s1", { kind: "progress", phase: "p", current: 1, total: 4 }) }, frame]);
    expect(twice.get("s1")!.progress?.current).toBe(2);
  });

  it("lists open sessions first, then the most recent", () => {
    // Sessions of different projects: their seqs are in different streams and say nothing about which is newer; the time does.
    const sessions = addSessionFrames(new Map(), [
      { seq: 9, event: { ...session("old-open", { kind: "phase", phase: "a", at }), timestamp: "2026-05-01T10:00:00.000Z" } },
      { seq: 2, event: { ...session("finished", { kind: "failed", phase: "a", error: { code: "E1", message: "boom" } }), timestamp: "2026-05-01T10:00:02.000Z" } },
      { seq: 3, event: { ...inProject(session("new-open", { kind: "phase", phase: "a", at }), null), timestamp: "2026-05-01T10:00:01.000Z" } },
    ]);
    expect(sortedSessions(sessions).map((view) => view.id)).toEqual(["new-open", "old-open", "finished"]);
    expect(percent(undefined)).toBeUndefined();
    expect(percent({ kind: "progress", phase: "p", current: 1, total: 0 })).toBeUndefined();
  });
});

describe("sessions, in any order", () => {
  const frames = [
    { seq: 10, event: session("s9", { kind: "phase", phase: "fetch", at }) },
    { seq: 11, event: session("s9", { kind: "progress", phase: "fetch", current: 1, total: 4 }) },
    { seq: 12, event: session("s9", { kind: "warning", phase: "fetch", message: "slow mirror" }) },
    { seq: 13, event: session("s9", { kind: "input_required", fields: [], reason: "which branch?", plugin: null }) },
    { seq: 14, event: session("s9", { kind: "phase", phase: "deploy", at }) },
    { seq: 15, event: session("s9", { kind: "progress", phase: "deploy", current: 4, total: 4 }) },
    { seq: 16, event: session("s9", { kind: "input_required", fields: [], reason: "ship it?", plugin: null }) },
  ];
  const summary = (sessions: ReturnType<typeof addSessionFrames>) => {
    const view = sessions.get("s9")!;
    return { phases: view.phases.map((phase) => phase.phase), progress: view.progress?.current, question: view.inputRequired?.reason, warnings: view.warnings.length, lastSeq: view.lastSeq };
  };
  const inOrder = summary(addSessionFrames(new Map(), frames));

  it("gives the same view whatever order the frames come in, history after live included", () => {
    expect(inOrder).toEqual({ phases: ["fetch", "deploy"], progress: 4, question: "ship it?", warnings: 1, lastSeq: 16 });
    // Every rotation, the reverse, and live-then-history (the newest half first, then the older half).
    const orders = [...frames.keys()].map((shift) => [...frames.slice(shift), ...frames.slice(0, shift)]);
    orders.push([...frames].reverse(), [...frames.slice(4), ...frames.slice(0, 4)]);
    for (const order of orders) {
      const oneByOne = order.reduce((sessions, frame) => addSessionFrames(sessions, [frame]), addSessionFrames(new Map(), []));
      expect(summary(oneByOne)).toEqual(inOrder);
    }
  });

  it("applies a frame twice as once", () => {
    const twice = addSessionFrames(addSessionFrames(new Map(), frames), frames);
    expect(summary(twice)).toEqual(inOrder);
  });

  it("keeps a question open only while nothing came after it", () => {
    const answered = addSessionFrames(new Map(), [frames[3]!, frames[4]!]);
    expect(answered.get("s9")!.inputRequired).toBeUndefined();
    const open = addSessionFrames(new Map(), [frames[4]!, frames[6]!]);
    expect(open.get("s9")!.inputRequired?.reason).toBe("ship it?");
  });
});
