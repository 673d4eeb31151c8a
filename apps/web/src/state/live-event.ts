/** What the dashboard keeps of one delivered event: where it sits in the hub's log, and the envelope. */
import type { Envelope } from "@events/schema";

export interface LiveEvent {
  /** The event's stream: its project uuid, or `-` for events without one. */
  readonly stream: string;
  /** The event's number in its stream (from 1, without holes); events of different streams have no order between them. */
  readonly seq: number;
  readonly channel: string;
  readonly event: Envelope;
}

/** The key of an event in the log: its stream and seq, as a position token writes them. */
export function positionKey(event: { readonly stream: string; readonly seq: number }): string {
  return `${event.stream}:${event.seq}`;
}
