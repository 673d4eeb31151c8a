/**
 * @events/client's failures as the SDK's four SyncError classes, so that what sync
 * does next (retry, split, wait for new credentials) and what `events sync status`
 * says stay what they were. Type-only imports: the client loads only when a host
 * opens the WebSocket.
 */
import type { ClientError, StateChange } from "@events/client";
import { CLOSE_CODES } from "@events/schema";
import { SyncError, toSyncError } from "./sync-error.js";

/** The status that makes the sync client halve a batch and try again. */
const TOO_LARGE = 413;

function isClientError(error: unknown): error is ClientError {
  return error instanceof Error && error.name === "ClientError" && typeof (error as { code?: unknown }).code === "string";
}

/** A publish the client (or the hub through it) refused. */
export function fromClientError(error: unknown): SyncError {
  if (!isClientError(error)) return toSyncError(error);
  const said = `the hub said ${error.code}: ${error.message}`;
  switch (error.code) {
    case "disconnected":
    case "timeout":
    case "transport_closed":
      return new SyncError("network", error.message, { cause: error });
    case "unauthenticated":
    case "forbidden":
      return new SyncError("auth", said, { cause: error });
    case "batch_too_large":
    case "frame_too_large":
      return new SyncError("schema", said, { status: TOO_LARGE, cause: error });
    case "bad_request":
    case "bad_frame":
    case "unknown_type":
    case "not_found":
    case "method_not_allowed":
    case "unsupported_media_type":
    case "unknown_channel":
    case "rate_limited":
    case "unavailable":
    case "storage_full":
    case "internal":
      return new SyncError("server", said, { cause: error });
  }
}

/** A connection that ended, or never opened: the client's reason and close code. */
export function closeError(change: StateChange): SyncError {
  const code = change.code;
  // The client's message repeats a bare code ("closed with 1006"): said once.
  const words = code === undefined ? change.message : change.message === "" || change.message.includes(String(code)) ? String(code) : `${code}: ${change.message}`;
  const text = `connection closed (${words})`;
  const status = code === undefined ? {} : { status: code };
  switch (change.reason) {
    case "unauthorized":
    case "forbidden":
      return new SyncError("auth", text, status);
    case "bad_protocol":
      // The hub refused the hello (another protocol version, or an error frame before the welcome).
      return new SyncError("server", text, status);
    case "transport_closed":
    case "hub_going_away":
    case "slow_consumer":
    case "no_heartbeat":
    case "connect":
    case "connected":
    case "disconnect":
      if (code === CLOSE_CODES.frameTooLarge) return new SyncError("schema", text, { status: TOO_LARGE });
      // 1013: try again later.
      if (code === CLOSE_CODES.internalError || code === 1013) return new SyncError("server", text, status);
      return new SyncError("network", text, status);
  }
}
