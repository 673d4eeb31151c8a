/**
 * Session frames, tagged by `kind`: one pipeline run reports its phases, progress,
 * questions and warnings, and ends with exactly one `done` or `failed`, after which
 * its channel closes. `failed` always names its phase (ExLabWizard's producer once
 * left it out; here that is a validation error at the producer).
 */
import { Type, type Static } from "@sinclair/typebox";
import { JsonObject, Label, Text, UtcTimestamp } from "../primitives/strings.js";
import { TaggedUnion } from "../primitives/tagged-union.js";
import { NullableString } from "../primitives/compact.js";

const closed = { additionalProperties: false } as const;

export const PhaseFrame = Type.Object(
  { kind: Type.Literal("phase"), phase: Label, at: UtcTimestamp },
  { ...closed, title: "PhaseFrame" },
);

export const ProgressFrame = Type.Object(
  {
    kind: Type.Literal("progress"),
    phase: Label,
    current: Type.Integer({ minimum: 0 }),
    total: Type.Integer({ minimum: 0 }),
  },
  { ...closed, title: "ProgressFrame" },
);

export const InputRequiredFrame = Type.Object(
  {
    kind: Type.Literal("input_required"),
    fields: Type.Array(JsonObject, { maxItems: 256 }),
    reason: Text,
    plugin: NullableString(Label),
  },
  { ...closed, title: "InputRequiredFrame" },
);

export const WarningFrame = Type.Object(
  { kind: Type.Literal("warning"), phase: Label, message: Text },
  { ...closed, title: "WarningFrame" },
);

export const DoneFrame = Type.Object(
  { kind: Type.Literal("done"), result: JsonObject },
  { ...closed, title: "DoneFrame" },
);

/** The error envelope ExLabWizard's `failed` frame carries: `code` and `message` at least, more allowed. */
export const FailureDetail = Type.Object(
  { code: Label, message: Text },
  { additionalProperties: true, title: "FailureDetail" },
);

export const FailedFrame = Type.Object(
  { kind: Type.Literal("failed"), phase: Label, error: FailureDetail },
  { ...closed, title: "FailedFrame" },
);

export const SessionFrame = TaggedUnion(
  "kind",
  [PhaseFrame, ProgressFrame, InputRequiredFrame, WarningFrame, DoneFrame, FailedFrame],
  { title: "SessionFrame", description: "One frame of a session channel." },
);

export type PhaseFrame = Static<typeof PhaseFrame>;
export type ProgressFrame = Static<typeof ProgressFrame>;
export type InputRequiredFrame = Static<typeof InputRequiredFrame>;
export type WarningFrame = Static<typeof WarningFrame>;
export type DoneFrame = Static<typeof DoneFrame>;
export type FailedFrame = Static<typeof FailedFrame>;
export type SessionFrame = Static<typeof SessionFrame>;
