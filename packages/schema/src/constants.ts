/**
 * Constants every package shares at run time: versions, error codes and WebSocket
 * close codes. Each code has one meaning and one thing the client should do.
 */

/** The envelope version this package writes. */
export const SCHEMA_VERSION = "1.0.0";

/** The version of the hub's WebSocket protocol. */
export const PROTOCOL_VERSION = 1;

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
