/**
 * Constants every package shares at run time: versions, error codes, WebSocket
 * close codes and the names of the SSE stream's control events. Each code has one
 * meaning and one thing the client should do.
 */

/** The envelope version this package writes. */
export const SCHEMA_VERSION = "1.0.0";

/**
 * The version of the hub's WebSocket protocol. 2: positions are per stream (a
 * project's events are one stream, numbered from 1), carried as a position token.
 */
export const PROTOCOL_VERSION = 2;

/**
 * The hub's default limits: what it advertises in `welcome` and `GET /api/v1/limits`
 * unless configured otherwise, and what a client may assume before it has asked.
 */
export const DEFAULT_LIMITS = Object.freeze({
  max_frame_bytes: 1_048_576,
  max_events_per_batch: 1_000,
  max_batch_bytes: 1_048_576,
  max_event_bytes: 65_536,
  subscriber_queue_events: 1_000,
  subscriber_queue_bytes: 4_194_304,
});

/** Machine event types whose payload has a fixed shape (statemachine-engine's realtime events). */
export const REALTIME_TYPES = ["state_change", "activity_log", "job_started", "job_completed", "error"] as const;
export type RealtimeType = (typeof REALTIME_TYPES)[number];

/** Session frame kinds after which a session's channel closes. */
export const TERMINAL_SESSION_KINDS: ReadonlySet<string> = new Set(["done", "failed"]);

export const ERROR_CODES = [
  "bad_request",
  "bad_frame",
  "unknown_type",
  "unauthenticated",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "unsupported_media_type",
  "unknown_channel",
  "frame_too_large",
  "batch_too_large",
  "rate_limited",
  "unavailable",
  /** The hub's store has no space left (HTTP 507): nothing of the write was stored; retry it later. */
  "storage_full",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * WebSocket close codes. 1000-1015 are the protocol's own; 4000-4999 are ours,
 * mirroring HTTP where one fits (4401 as 401, and so on).
 */
export const CLOSE_CODES = {
  /** Normal close, e.g. a session channel after `done` or `failed`. */
  normal: 1000,
  /** The hub is shutting down; reconnect elsewhere or later. */
  goingAway: 1001,
  /** A frame was not valid protocol; the connection cannot continue. */
  protocolError: 1002,
  /** A frame exceeded `max_frame_bytes`. */
  frameTooLarge: 1009,
  /** The hub failed; reconnect with backoff. */
  internalError: 1011,
  /** No or unknown token: log in again. */
  unauthenticated: 4401,
  /** The token may not use this project or scope. */
  forbidden: 4403,
  /** No such session or channel. */
  notFound: 4404,
  /** No pong within the timeout. */
  pingTimeout: 4408,
  /** The subscriber stayed behind past its queue limits; resubscribe from the last seq. */
  slowConsumer: 4429,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * The `event:` names of the control events on `GET /api/events` (Server-Sent Events),
 * each with its data schema in `@events/schema/typebox` (`SseReadyData`, ...). Every
 * other `event:` is an event type with the stored event as its data; no event type
 * uses one of these names.
 */
export const SSE_EVENTS = Object.freeze({
  /** First on every stream: where delivery starts, the head, the heartbeat. */
  ready: "ready",
  /** After `ready` when the position cannot be served; `id:` is where delivery continues. */
  reset: "reset",
  /** Events were dropped for this slow stream; still stored. */
  gap: "gap",
  /** The last event: the hub closes the stream, and says why. */
  end: "end",
} as const);

export type SseEventName = (typeof SSE_EVENTS)[keyof typeof SSE_EVENTS];

/**
 * Why an SSE stream ended (`end.reason`); the close code is in `end.code`. Reconnect
 * with `Last-Event-ID` on every reason but `revoked`, which needs a new credential.
 */
export const SSE_END_REASONS = [
  /** The stream reached `sseMaxLifetimeMs` (close code 1000). */
  "lifetime",
  /** The hub is shutting down (1001). */
  "shutdown",
  /** The client stayed behind past the queue limits (4429). */
  "slow_consumer",
  /** The hub failed, e.g. a replay from the store (1011). */
  "error",
  /** The stream's token was revoked (4401). */
  "revoked",
  /** Any other close code. */
  "closed",
] as const;

export type SseEndReason = (typeof SSE_END_REASONS)[number];
