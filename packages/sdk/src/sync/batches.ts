/**
 * Splits claimed events into batches the hub will take: at most
 * `max_events_per_batch` events and `maxBytes` bytes of JSON each, as the hub
 * advertises. An event that alone exceeds `max_event_bytes` is set apart: no batch can
 * carry it, and resending it would fail the same way.
 */
import type { Envelope, Limits } from "@events/schema";

export interface Sendable {
  id: string;
  event: Envelope;
  /** The event's JSON, serialised once. */
  json: string;
  /** Its size in UTF-8 bytes. */
  bytes: number;
}

export interface Split {
  batches: Sendable[][];
  /** Events larger than the hub takes. */
  oversize: Sendable[];
}

/** The bytes a batch wrapper and the commas between events add. */
const ENVELOPE_OVERHEAD = 128;

export function toSendable(id: string, event: Envelope): Sendable {
  const json = JSON.stringify(event);
  return { id, event, json, bytes: Buffer.byteLength(json) };
}

export function splitBatches(
  events: readonly Sendable[],
  limits: Pick<Limits, "max_events_per_batch" | "max_event_bytes">,
  maxBytes: number,
): Split {
  const batches: Sendable[][] = [];
  const oversize: Sendable[] = [];
  let current: Sendable[] = [];
  let bytes = ENVELOPE_OVERHEAD;
  for (const event of events) {
    if (event.bytes > limits.max_event_bytes || event.bytes + ENVELOPE_OVERHEAD > maxBytes) {
      oversize.push(event);
      continue;
    }
    if (current.length >= limits.max_events_per_batch || bytes + event.bytes + 1 > maxBytes) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_OVERHEAD;
    }
    current.push(event);
    bytes += event.bytes + 1;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversize };
}

/** Halves a batch that the hub refused as too large (413). */
export function halve<T>(batch: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(batch.length / 2);
  return [batch.slice(0, middle), batch.slice(middle)];
}
