/** What the dashboard keeps of one delivered event: where it sits in the hub's order, and the envelope. */
import type { Envelope } from "@events/schema";

export interface LiveEvent {
  /** The hub's `seq`: one strictly increasing number per stored event. */
  readonly seq: number;
  readonly channel: string;
  readonly event: Envelope;
}
