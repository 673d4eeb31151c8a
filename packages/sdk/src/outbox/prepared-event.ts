/**
 * An event ready for the outbox: validated and serialised, except for its Lamport
 * value, which only the storing transaction knows. The JSON is split around that
 * value, so the transaction (which holds the write lock every process waits on)
 * does no serialising: it joins three strings.
 */
import type { Envelope } from "@events/schema";

export interface PreparedEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly nodeId: string;
  /** `{"event_id":"…","lamport_clock":` */
  readonly head: string;
  /** `,"event_type":…}`: every other field. */
  readonly tail: string;
  /** UTF-8 bytes of head and tail. */
  readonly fixedBytes: number;
}

export function prepareEvent(envelope: Envelope): PreparedEvent {
  const { event_id: eventId, lamport_clock: _clock, ...rest } = envelope;
  // A ULID needs no escaping; validation guaranteed `event_id` is one.
  const head = `{"event_id":"${eventId}","lamport_clock":`;
  const tail = `,${JSON.stringify(rest).slice(1)}`;
  return {
    eventId,
    eventType: envelope.event_type,
    nodeId: envelope.node_id,
    head,
    tail,
    fixedBytes: Buffer.byteLength(head) + Buffer.byteLength(tail),
  };
}

/** The stored JSON of the event with its clock value, and its size in bytes. */
export function serialise(event: PreparedEvent, clock: number): { data: string; bytes: number } {
  const digits = String(clock);
  return { data: event.head + digits + event.tail, bytes: event.fixedBytes + digits.length };
}

/** The envelope back from stored JSON. */
export function parseStored(data: string): Envelope {
  return JSON.parse(data) as Envelope;
}
