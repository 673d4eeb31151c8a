/**
 * The hub's one error class. Every failure the hub raises or converts carries a
 * literal `code`; transports map codes to HTTP statuses and WebSocket close codes
 * in one place (transport/http-errors.ts), so a code means the same everywhere.
 */

export const HUB_ERROR_CODES = [
  "bad_request",
  "unauthenticated",
  "forbidden",
  "not_found",
  "batch_too_large",
  "frame_too_large",
  "unavailable",
  "storage_full",
  "config",
  "internal",
] as const;

export type HubErrorCode = (typeof HUB_ERROR_CODES)[number];

/** Codes a client may retry unchanged (after a backoff). */
export const RETRYABLE_CODES: ReadonlySet<HubErrorCode> = new Set(["unavailable", "storage_full", "internal"]);

export class HubError extends Error {
  override readonly name = "HubError";
  readonly code: HubErrorCode;

  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Converts any thrown value at a boundary; a HubError passes through unchanged. */
  static from(error: unknown, code: HubErrorCode = "internal"): HubError {
    if (error instanceof HubError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new HubError(code, message, { cause: error });
  }
}
