/**
 * The problems view's state: the current findings of one project, kept from the
 * hub's `snapshot` and `delta` frames, and what the latest change did (rows added,
 * changed, removed) so the page can highlight it. A snapshot after a reconnect is
 * compared with what the page held, so a change made while it was away still shows.
 */
import { diffFindings, findingKey, isEmptyDelta, type EnvelopeOf, type Finding, type FindingsDelta, type ProblemsFrame } from "@events/schema";
import type { LiveEvent } from "./live-event.js";

export type Change = "added" | "changed";

export interface ProblemsState {
  /** Whether a snapshot has arrived yet. */
  readonly loaded: boolean;
  readonly findings: readonly Finding[];
  readonly auditAt: string | undefined;
  /** Rows of the latest change, by findingKey. */
  readonly highlight: ReadonlyMap<string, Change>;
  /** Findings the latest change removed, shown struck through until the next one. */
  readonly removed: readonly Finding[];
  /** When the latest change arrived (audit time), if there was one. */
  readonly changedAt: string | undefined;
}

export function emptyProblems(): ProblemsState {
  return { loaded: false, findings: [], auditAt: undefined, highlight: new Map(), removed: [], changedAt: undefined };
}

export function applyProblemsFrame(state: ProblemsState, frame: ProblemsFrame): ProblemsState {
  switch (frame.kind) {
    case "snapshot": {
      const findings = sortFindings(frame.findings);
      if (!state.loaded) return { ...emptyProblems(), loaded: true, findings, auditAt: frame.audit_at };
      const delta = diffFindings(state.findings, findings);
      if (isEmptyDelta(delta)) return { ...state, findings, auditAt: frame.audit_at };
      return withDelta({ ...state, findings, auditAt: frame.audit_at }, delta, frame.audit_at);
    }
    case "delta": {
      const byKey = new Map(state.findings.map((finding) => [findingKey(finding), finding]));
      for (const finding of frame.removed) byKey.delete(findingKey(finding));
      for (const finding of [...frame.changed, ...frame.added]) byKey.set(findingKey(finding), finding);
      return withDelta({ ...state, loaded: true, findings: sortFindings([...byKey.values()]), auditAt: frame.audit_at }, frame, frame.audit_at);
    }
  }
}

function withDelta(state: ProblemsState, delta: FindingsDelta, at: string): ProblemsState {
  const highlight = new Map<string, Change>();
  for (const finding of delta.added) highlight.set(findingKey(finding), "added");
  for (const finding of delta.changed) highlight.set(findingKey(finding), "changed");
  return { ...state, highlight, removed: delta.removed, changedAt: at };
}

const SEVERITY_ORDER: Readonly<Record<string, number>> = { error: 0, warning: 1, info: 2 };

/** Errors first, then by rule and path. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (SEVERITY_ORDER[a.severity ?? "info"] ?? 3) - (SEVERITY_ORDER[b.severity ?? "info"] ?? 3) ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.offending_path < b.offending_path ? -1 : a.offending_path > b.offending_path ? 1 : 0),
  );
}

/**
 * The latest change, found in history: after a start the hub sends only a
 * snapshot, so the page compares the two newest stored snapshots of the same
 * project, the newer one being the snapshot shown. Undefined when history does
 * not hold both (or holds something else than what is shown).
 */
export function latestDelta(shown: ProblemsState, history: readonly LiveEvent[]): ProblemsState | undefined {
  const snapshots = history.filter((item) => item.event.event_type === "ProblemsSnapshot").map((item) => item.event as EnvelopeOf<"ProblemsSnapshot">);
  const newest = snapshots.find((event) => event.payload.audit_at === shown.auditAt);
  if (newest === undefined || !isEmptyDelta(diffFindings(shown.findings, newest.payload.findings))) return undefined;
  // History is newest first: the previous snapshot of that project is the next one after it.
  const previous = snapshots.slice(snapshots.indexOf(newest) + 1).find((event) => event.project_uuid === newest.project_uuid);
  if (previous === undefined) return undefined;
  const before = applyProblemsFrame(emptyProblems(), { kind: "snapshot", findings: previous.payload.findings, audit_at: previous.payload.audit_at });
  return applyProblemsFrame(before, { kind: "snapshot", findings: newest.payload.findings, audit_at: newest.payload.audit_at });
}
