/**
 * The data of the control events on `GET /api/events` (Server-Sent Events), one
 * schema per `event:` name of `SSE_EVENTS`. Events themselves are `event: <event_type>`
 * with the envelope (or its payload) as data; these are the rest. `reset` and `gap`
 * carry what the WebSocket frames of the same name carry, without `type` and `sub`.
 */
import { Type, type Static, type TObject } from "@sinclair/typebox";
import { SSE_END_REASONS, SSE_EVENTS, type SseEventName } from "../../constants.js";
import { StringEnum } from "../primitives/compact.js";
import { PositionToken } from "../primitives/strings.js";
import { GapFields, ResetFields } from "./frames.js";

const closed = { additionalProperties: false } as const;

/** `event: ready`, first on every stream. */
export const SseReadyData = Type.Object(
  {
    /** Delivery continues after this position (as the WebSocket `subscribed.position`). */
    position: PositionToken,
    /** How often the hub writes a `: keep-alive` comment when there is nothing else to send. */
    heartbeat_ms: Type.Integer({ minimum: 0 }),
  },
  { ...closed, title: "SseReadyData" },
);

/** `event: reset` (with `id: <position>`), right after `ready` when the position cannot be served in some streams. */
export const SseResetData = Type.Object(ResetFields, { ...closed, title: "SseResetData" });

/** `event: gap`: events of `stream` after `from_seq` up to and including `to_seq` were dropped for this connection. */
export const SseGapData = Type.Object(GapFields, { ...closed, title: "SseGapData" });

export const SseEndReason = StringEnum(SSE_END_REASONS, {
  title: "SseEndReason",
  description: "Why the stream ended; reconnect with Last-Event-ID on every reason but revoked.",
});

/** `event: end`, the last on a stream the hub closes. */
export const SseEndData = Type.Object(
  {
    reason: SseEndReason,
    /** The close code, as a WebSocket connection would be closed with (1000 lifetime, 1001 shutdown, 4429, 1011, 4401). */
    code: Type.Integer({ minimum: 1000, maximum: 4999 }),
    message: Type.String({ maxLength: 1024 }),
  },
  { ...closed, title: "SseEndData" },
);

/** Each control event's data schema, by its `event:` name. */
export const SSE_EVENT_DATA = {
  [SSE_EVENTS.ready]: SseReadyData,
  [SSE_EVENTS.reset]: SseResetData,
  [SSE_EVENTS.gap]: SseGapData,
  [SSE_EVENTS.end]: SseEndData,
} as const satisfies Record<SseEventName, TObject>;

export type SseReadyData = Static<typeof SseReadyData>;
export type SseResetData = Static<typeof SseResetData>;
export type SseGapData = Static<typeof SseGapData>;
export type SseEndData = Static<typeof SseEndData>;
/** Each control event's data type, by its `event:` name: `SseControlData["end"]` is `SseEndData`. */
export type SseControlData = { [Name in keyof typeof SSE_EVENT_DATA]: Static<(typeof SSE_EVENT_DATA)[Name]> };
