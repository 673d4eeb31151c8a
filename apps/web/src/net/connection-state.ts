/** The named states of the page's connections, with the reason of the last change (shown in the indicator), and how long they wait between attempts. */
import type { BackoffOptions } from "@events/client";

export type ConnectionStatus =
  /** Opening the connection, subscribing (and replaying what was missed). */
  | "connecting"
  /** Subscribed: events arrive as the hub stores them. */
  | "live"
  /** The connection dropped; the next attempt is scheduled with backoff. */
  | "reconnecting"
  /** The hub refused the token (401 / 4401): a new one is needed. */
  | "unauthorized"
  /** The token may not read this project (403 / 4403): retrying will not help. */
  | "forbidden"
  /** Stopped by the page (token changed, page left), or by a hub that will not serve it (another protocol, a refused stream). */
  | "stopped";

export interface ConnectionState {
  readonly status: ConnectionStatus;
  readonly reason: string;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  readonly retryAt?: number;
}

/** Reconnect and retry delays of every connection the page keeps: 250 ms doubling to 8 s, full jitter, so a restarted hub is not hit by every page at once. */
export const RETRY_BACKOFF: BackoffOptions = { minDelayMs: 250, maxDelayMs: 8_000 };
