/**
 * The live stream's states in the page's words: what @events/client says about its
 * connection (a state and a reason per change) and about the page's subscription
 * (subscribed, refused) becomes the indicator's ConnectionState. Pure, so every
 * reason the client can give is mapped, and checked by the compiler.
 */
import type { ClientError, StateChange } from "@events/client";
import type { ConnectionState } from "./connection-state.js";

export const STOPPED: ConnectionState = { status: "stopped", reason: "stopped" };

/** A change of the client's state. `now` (epoch ms) dates the next attempt while reconnecting. */
export function fromClientState(change: StateChange, now: number): ConnectionState {
  const retrying = (reason: string): ConnectionState => ({ status: "reconnecting", reason, retryAt: now + (change.delayMs ?? 0) });
  switch (change.reason) {
    case "connect":
      return { status: "connecting", reason: "connecting" };
    case "connected":
      // Open, but not live until the hub answers the subscribe (and replays what was missed).
      return { status: "connecting", reason: "subscribing" };
    case "transport_closed":
      return retrying(change.code === undefined ? `connection lost (${change.message})` : `connection lost (${change.code})`);
    case "hub_going_away":
      return retrying("the hub is restarting");
    case "slow_consumer":
      return retrying("the page fell behind the hub; resuming");
    case "no_heartbeat":
      return retrying("no answer from the hub");
    case "unauthorized":
      return { status: "unauthorized", reason: change.message };
    case "forbidden":
      return { status: "forbidden", reason: change.message };
    case "bad_protocol":
      return { status: "stopped", reason: `the hub speaks another protocol: ${change.message}` };
    case "disconnect":
      return STOPPED;
  }
}

/** A new attempt to connect; the first one is already `connecting`. */
export function fromAttempt(attempt: number, transport: string): ConnectionState | undefined {
  return attempt <= 1 ? undefined : { status: "connecting", reason: `attempt ${attempt} (${transport === "sse" ? "Server-Sent Events" : "WebSocket"})` };
}

/** The hub accepted the subscription: live (what it replays first arrives in the same stream). */
export function fromSubscribed(): ConnectionState {
  return { status: "live", reason: "live" };
}

/** The hub refused the subscription for good. A forbidden project is a refused token's twin: the page asks for another. */
export function fromRefusal(error: ClientError): ConnectionState {
  if (error.code === "forbidden") return { status: "forbidden", reason: error.message };
  if (error.code === "unauthenticated") return { status: "unauthorized", reason: error.message };
  return { status: "stopped", reason: `the hub refused the stream (${error.code}): ${error.message}` };
}
