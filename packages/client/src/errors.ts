/**
 * What can go wrong, as one error class with a code: the hub's own error codes
 * (from @events/schema) plus the client's (`disconnected`, `timeout`,
 * `transport_closed`). `retryable` says whether the same request may succeed later;
 * publishing again is always safe, since the hub stores each `event_id` once.
 */
import type { ErrorCode, Issue } from "@events/schema";

export type ClientErrorCode =
  | ErrorCode
  /** The client is disconnected (not connected yet, or stopped for good). */
  | "disconnected"
  /** No answer within the time allowed. */
  | "timeout"
  /** The connection closed before the answer came. */
  | "transport_closed";

const RETRYABLE: ReadonlySet<ClientErrorCode> = new Set(["unavailable", "storage_full", "rate_limited", "internal", "timeout", "transport_closed"]);

export class ClientError extends Error {
  override readonly name = "ClientError";
  readonly code: ClientErrorCode;
  readonly retryable: boolean;
  readonly issues: readonly Issue[];
  /** The subscription's channel, for `unknown_channel` and `forbidden` refusals. */
  readonly channel: string | undefined;

  constructor(code: ClientErrorCode, message: string, details: { issues?: readonly Issue[]; channel?: string | undefined; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.issues = details.issues ?? [];
    this.channel = details.channel;
  }
}
