/**
 * What went wrong talking to the hub, in four classes a user can act on, each with a
 * hint. The class decides what the syncer does: `network` and `server` retry with
 * backoff and keep every event; `auth` stops until the credentials change; `schema`
 * counts against the event (retry, then dead letter).
 */

export type SyncErrorClass = "schema" | "auth" | "server" | "network";

export const SYNC_HINTS: Readonly<Record<SyncErrorClass, string>> = {
  schema: "the hub rejected an event's shape; run `events sync diagnose` to see which events and why",
  auth: "the hub refused the token; log in again with `events auth login --server <url> --token <token>`",
  server: "the hub failed or is overloaded; events stay queued and are retried with backoff (check the hub's logs if it persists)",
  network: "the hub could not be reached; events stay queued and are sent when it is back (check the server URL with `events sync status`)",
};

export class SyncError extends Error {
  override readonly name = "SyncError";
  readonly errorClass: SyncErrorClass;
  /** HTTP status or WebSocket close code, when there was one. */
  readonly status: number | undefined;
  /** How long the hub asked us to wait (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(
    errorClass: SyncErrorClass,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.errorClass = errorClass;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  get hint(): string {
    return SYNC_HINTS[this.errorClass];
  }
}

/** The class of an HTTP status the hub answered with. */
export function classifyStatus(status: number): SyncErrorClass {
  if (status === 401 || status === 403) return "auth";
  if (status === 400 || status === 413 || status === 422) return "schema";
  if (status >= 500 || status === 429 || status === 408) return "server";
  return "server";
}

/** Anything thrown while talking to the hub, as a SyncError. */
export function toSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SyncError("network", message, { cause: error });
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
