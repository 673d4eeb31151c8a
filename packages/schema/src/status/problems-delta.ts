/**
 * The delta between two snapshots of findings, keyed by `(rule, offending_path)`:
 * what appeared, what went away, and what is still there but reads differently.
 */
import type { Finding } from "../schemas/channels/problems-frames.js";

export interface FindingsDelta {
  readonly added: Finding[];
  readonly removed: Finding[];
  readonly changed: Finding[];
}

export function findingKey(finding: Pick<Finding, "rule" | "offending_path">): string {
  return `${finding.rule}\u0000${finding.offending_path}`;
}

export function diffFindings(previous: readonly Finding[], next: readonly Finding[]): FindingsDelta {
  const before = new Map(previous.map((finding) => [findingKey(finding), finding]));
  const added: Finding[] = [];
  const changed: Finding[] = [];
  const after = new Set<string>();
  for (const finding of next) {
    const key = findingKey(finding);
    after.add(key);
    const old = before.get(key);
    if (old === undefined) added.push(finding);
    else if (stableJson(old) !== stableJson(finding)) changed.push(finding);
  }
  const removed = previous.filter((finding) => !after.has(findingKey(finding)));
  return { added, removed, changed };
}

/** Whether a delta changes anything at all. */
export function isEmptyDelta(delta: FindingsDelta): boolean {
  return delta.added.length === 0 && delta.removed.length === 0 && delta.changed.length === 0;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
