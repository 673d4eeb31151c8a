import { describe, expect, it } from "vitest";
import { addSessionFrames, percent, sortedSessions } from "../src/state/sessions.js";
import { session } from "./fixtures.js";

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
    const sessions = addSessionFrames(new Map(), [
      { seq: 1, event: session("old-open", { kind: "phase", phase: "a", at }) },
      { seq: 2, event: session("finished", { kind: "failed", phase: "a", error: { code: "E1", message: "boom" } }) },
      { seq: 3, event: session("new-open", { kind: "phase", phase: "a", at }) },
    ]);
    expect(sortedSessions(sessions).map((view) => view.id)).toEqual(["new-open", "old-open", "finished"]);
    expect(percent(undefined)).toBeUndefined();
    expect(percent({ kind: "progress", phase: "p", current: 1, total: 0 })).toBeUndefined();
  });
});
