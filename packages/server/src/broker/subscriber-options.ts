/** What a subscriber is made of: which events, how they are framed, where they go, and its bounds. */
import type { DeliveryCounters } from "./counters.js";
import type { PublishedEvent } from "./published-event.js";
import type { Framer, Sink } from "./sink.js";

export interface SubscriberFilter {
  /** A channel or `prefix:*`; every channel when absent. */
  readonly channel?: string | undefined;
  /** One project's events; every project's when absent (admin only). */
  readonly project?: string | undefined;
  /** Takes no broker events at all, only frames handed to `deliver` (computed channels). */
  readonly direct?: boolean;
}

export interface SubscriberLimits {
  readonly queueEvents: number;
  readonly queueBytes: number;
  readonly highWaterBytes: number;
  readonly sendTimeoutMs: number;
  readonly slowConsumerGraceMs: number;
}

export interface SubscriberOptions {
  readonly filter: SubscriberFilter;
  readonly framer: Framer;
  readonly sink: Sink;
  readonly limits: SubscriberLimits;
  readonly counters: DeliveryCounters;
  /** Called once when the subscriber closes for any reason. */
  readonly onClosed?: () => void;
  /** True for an event after which the stream ends normally (a session's `done`/`failed`). */
  readonly endsAfter?: (event: PublishedEvent) => boolean;
}
