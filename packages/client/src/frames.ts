/**
 * The least the client checks of a hub frame before acting on it. The hub validated
 * every event against @events/schema before storing it, so envelopes are not
 * validated again (that would cost more than the rest of the client per event, and
 * ship the validators to every browser); a frame must have the shape the client
 * reads, or it is dropped and counted, never thrown.
 */
import { isStreamId, parsePosition, type HubFrame } from "@events/schema";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An envelope as far as a reader uses one: ids, type, time, node and an object payload. */
export function isEnvelopeLike(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value["event_id"] === "string" &&
    typeof value["event_type"] === "string" &&
    typeof value["timestamp"] === "string" &&
    typeof value["node_id"] === "string" &&
    typeof value["aggregate_id"] === "string" &&
    isObject(value["payload"])
  );
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A position token the subscription can move to (`parsePosition` reads it: well formed, no stream twice). */
export function isPositionToken(value: unknown): value is string {
  return typeof value === "string" && parsePosition(value) !== undefined;
}

/** The streams a `reset` names. */
export function isStreamList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isStreamId);
}

/** A frame the client can act on, or undefined. */
export function readHubFrame(value: unknown): HubFrame | undefined {
  if (!isObject(value)) return undefined;
  switch (value["type"]) {
    case "message":
      // The stream is checked in full: it becomes a key of the position, and so part of the next token.
      return typeof value["sub"] === "string" && isStreamId(value["stream"]) && isSeq(value["seq"]) && typeof value["channel"] === "string" && isEnvelopeLike(value["event"])
        ? (value as unknown as HubFrame)
        : undefined;
    case "subscribed":
      return typeof value["sub"] === "string" && isPositionToken(value["position"]) ? (value as unknown as HubFrame) : undefined;
    case "gap":
      return typeof value["sub"] === "string" && isStreamId(value["stream"]) && isSeq(value["from_seq"]) && isSeq(value["to_seq"]) ? (value as unknown as HubFrame) : undefined;
    case "reset":
      return typeof value["sub"] === "string" && typeof value["reason"] === "string" && isStreamList(value["streams"]) && isPositionToken(value["position"]) && typeof value["message"] === "string"
        ? (value as unknown as HubFrame)
        : undefined;
    case "ack":
      return typeof value["ref"] === "string" && Array.isArray(value["results"]) && isSeq(value["lamport_clock"]) ? (value as unknown as HubFrame) : undefined;
    case "error":
      return typeof value["code"] === "string" && typeof value["message"] === "string" ? (value as unknown as HubFrame) : undefined;
    case "welcome":
      return isObject(value["limits"]) && isSeq(value["lamport_clock"]) ? (value as unknown as HubFrame) : undefined;
    case "ping":
    case "pong":
    case "unsubscribed":
      return value as unknown as HubFrame;
    default:
      return undefined;
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
