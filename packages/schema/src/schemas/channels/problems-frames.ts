/**
 * The problems channel: a producer publishes whole snapshots of its findings; the
 * hub sends a `snapshot` to each subscriber on join and then `delta`s it computes
 * from successive snapshots. A finding is identified by `(rule, offending_path)`.
 */
import { Type, type Static } from "@sinclair/typebox";
import { JsonObject, Label, Text, UtcTimestamp } from "../primitives/strings.js";
import { TaggedUnion } from "../primitives/tagged-union.js";
import { StringEnum } from "../primitives/compact.js";

export const Severity = StringEnum(["error", "warning", "info"], { title: "Severity" });

export const Finding = Type.Object(
  {
    rule: Label,
    offending_path: Type.String({ minLength: 1, maxLength: 4096 }),
    severity: Type.Optional(Severity),
    message: Type.Optional(Text),
    data: Type.Optional(JsonObject),
  },
  { additionalProperties: false, title: "Finding" },
);

const Findings = Type.Array(Finding, { maxItems: 100_000 });

/** What a producer publishes: the complete current set of findings. */
export const ProblemsSnapshotPayload = Type.Object(
  { findings: Findings, audit_at: UtcTimestamp },
  { additionalProperties: false, title: "ProblemsSnapshotPayload" },
);

export const SnapshotFrame = Type.Object(
  { kind: Type.Literal("snapshot"), findings: Findings, audit_at: UtcTimestamp },
  { additionalProperties: false, title: "SnapshotFrame" },
);

export const DeltaFrame = Type.Object(
  {
    kind: Type.Literal("delta"),
    added: Findings,
    removed: Findings,
    changed: Findings,
    audit_at: UtcTimestamp,
  },
  { additionalProperties: false, title: "DeltaFrame" },
);

export const ProblemsFrame = TaggedUnion("kind", [SnapshotFrame, DeltaFrame], {
  title: "ProblemsFrame",
  description: "One frame of the problems channel.",
});

export type Severity = Static<typeof Severity>;
export type Finding = Static<typeof Finding>;
export type ProblemsSnapshotPayload = Static<typeof ProblemsSnapshotPayload>;
export type SnapshotFrame = Static<typeof SnapshotFrame>;
export type DeltaFrame = Static<typeof DeltaFrame>;
export type ProblemsFrame = Static<typeof ProblemsFrame>;
