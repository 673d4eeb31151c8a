/**
 * The per-event answer to a publish frame or an HTTP batch. `duplicate` means the
 * hub already holds that `event_id` and counts as delivered; `rejected` carries the
 * issues, and the producer decides whether to retry or dead-letter.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Issue } from "./issue.js";
import { StreamId } from "../primitives/strings.js";
import { NullableString } from "../primitives/compact.js";
import { TaggedUnion } from "../primitives/tagged-union.js";

const AcceptedResult = Type.Object(
  {
    status: Type.Literal("accepted"),
    event_id: Type.String({ maxLength: 64 }),
    /** The event's stream (its project uuid, or `-`) and its number there. */
    stream: StreamId,
    seq: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false, title: "AcceptedResult" },
);

const DuplicateResult = Type.Object(
  {
    status: Type.Literal("duplicate"),
    event_id: Type.String({ maxLength: 64 }),
    /** The event's stream (its project uuid, or `-`) and its number there. */
    stream: StreamId,
    seq: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false, title: "DuplicateResult" },
);

const RejectedResult = Type.Object(
  {
    status: Type.Literal("rejected"),
    /** `null` when the event was too malformed to carry one. */
    event_id: NullableString(Type.String({ maxLength: 64 })),
    /** Index of the event in the batch it came in. */
    index: Type.Integer({ minimum: 0 }),
    issues: Type.Array(Issue, { minItems: 1 }),
  },
  { additionalProperties: false, title: "RejectedResult" },
);

export { AcceptedResult, DuplicateResult, RejectedResult };

export const EventResult = TaggedUnion("status", [AcceptedResult, DuplicateResult, RejectedResult], {
  title: "EventResult",
});

export type AcceptedResult = Static<typeof AcceptedResult>;
export type DuplicateResult = Static<typeof DuplicateResult>;
export type RejectedResult = Static<typeof RejectedResult>;
export type EventResult = Static<typeof EventResult>;
export type EventStatus = EventResult["status"];
