/** The named states of the page's connections, with the reason of the last change (shown in the indicator). */

export type ConnectionStatus =
  /** Opening the socket, saying hello, subscribing (and replaying what was missed). */
  | "connecting"
  /** Subscribed: events arrive as the hub stores them. */
  | "live"
  /** The connection dropped; the next attempt is scheduled with backoff. */
  | "reconnecting"
  /** The hub refused the token (401 / 4401): a new one is needed. */
  | "unauthorized"
  /** The token may not read this project (403 / 4403): retrying will not help. */
  | "forbidden"
  /** Stopped by the page (token changed, page left). */
  | "stopped";

export interface ConnectionState {
  readonly status: ConnectionStatus;
  readonly reason: string;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  readonly retryAt?: number;
}
