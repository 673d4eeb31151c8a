import { describe, expect, it } from "vitest";
import type { Finding } from "@events/schema";
import { findingKey } from "@events/schema";
import { applyProblemsFrame, emptyProblems, latestDelta } from "../src/state/problems.js";
import { delivered, problemsSnapshot } from "./fixtures.js";

const at = "2026-05-01T10:00:00.000Z";
const f = (rule: string, path: string, message = "m", severity: Finding["severity"] = "error"): Finding => ({ rule, offending_path: path, message, severity });

describe("problems", () => {
  it("takes the first snapshot as is, with nothing highlighted", () => {
    const state = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: [f("r1", "a"), f("r2", "b")], audit_at: at });
    expect(state.loaded).toBe(true);
    expect(state.findings).toHaveLength(2);
    expect(state.highlight.size).toBe(0);
    expect(state.changedAt).toBeUndefined();
  });

  it("applies a delta and highlights its added, changed and removed rows", () => {
    let state = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: [f("r1", "a"), f("r2", "b"), f("r3", "c")], audit_at: at });
    state = applyProblemsFrame(state, { kind: "delta", added: [f("r4", "d")], removed: [f("r3", "c")], changed: [f("r2", "b", "new text")], audit_at: at });
    expect(state.findings.map((finding) => finding.rule)).toEqual(["r1", "r2", "r4"]);
    expect(state.findings.find((finding) => finding.rule === "r2")?.message).toBe("new text");
    expect([...state.highlight.entries()]).toEqual([
      ["r4\u0000d", "added"],
      ["r2\u0000b", "changed"],
    ]);
    expect(state.removed.map((finding) => finding.rule)).toEqual(["r3"]);
  });

  it("compares a snapshot after a reconnect with what it held", () => {
    let state = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: [f("r1", "a")], audit_at: at });
    state = applyProblemsFrame(state, { kind: "snapshot", findings: [f("r1", "a"), f("r5", "e")], audit_at: at });
    expect([...state.highlight.values()]).toEqual(["added"]);
    const same = applyProblemsFrame(state, { kind: "snapshot", findings: [...state.findings], audit_at: at });
    expect(same.highlight).toBe(state.highlight);
  });

  it("sorts errors first", () => {
    const state = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: [f("z", "a", "m", "info"), f("y", "a", "m", "error")], audit_at: at });
    expect(state.findings.map((finding) => finding.rule)).toEqual(["y", "z"]);
  });
});

describe("the latest change after a reload", () => {
  it("is found by comparing the two newest stored snapshots", () => {
    const previous = problemsSnapshot([f("r1", "a"), f("r2", "b"), f("r3", "c")], "2026-05-01T09:00:00.000Z");
    const newest = problemsSnapshot([f("r1", "a"), f("r2", "b", "new text"), f("r4", "d")], "2026-05-01T10:00:00.000Z");
    const shown = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: newest.payload.findings, audit_at: newest.payload.audit_at });
    expect(shown.highlight.size).toBe(0);
    const history = delivered([previous, newest], 5).reverse();
    const highlighted = latestDelta(shown, history)!;
    expect(Object.fromEntries(highlighted.highlight)).toEqual({ [findingKey(f("r4", "d"))]: "added", [findingKey(f("r2", "b"))]: "changed" });
    expect(highlighted.removed.map((finding) => finding.rule)).toEqual(["r3"]);
    // History that does not end with what is shown, or holds one snapshot only, highlights nothing.
    expect(latestDelta(shown, delivered([newest], 9))).toBeUndefined();
    expect(latestDelta(shown, delivered([newest, previous], 9).reverse())).toBeUndefined();
  });
});
