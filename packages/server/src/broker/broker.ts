/**
 * The in-process broker: every stored event is offered to every subscriber whose
 * filter matches, each stream in seq order. `publish` is synchronous, never throws and never
 * waits on a socket: a subscriber that fails is closed, one that is slow queues,
 * drops the oldest with a gap signal, and is closed if it stays behind.
 */
import { CLOSE_CODES } from "@events/schema";
import type { Logger } from "../logger.js";
import { newCounters, type DeliveryCounters } from "./counters.js";
import { PublishedBatch } from "./published-batch.js";
import type { PublishedEvent } from "./published-event.js";
import { Subscriber, type SubscriberOptions } from "./subscriber.js";

export interface BrokerStats {
  readonly subscribers: number;
  readonly queuedEvents: number;
  readonly queuedBytes: number;
  /** The largest queue any subscriber currently holds, in bytes. */
  readonly maxQueuedBytes: number;
}

export class Broker {
  readonly counters: DeliveryCounters = newCounters();
  #subscribers = new Set<Subscriber>();
  #logger: Logger;
  /** Each stream's newest seq published (loaded from the store at start). */
  readonly heads = new Map<string, number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers a subscriber; it receives every event published from now on. */
  subscribe(options: Omit<SubscriberOptions, "counters">): Subscriber {
    const onClosed = options.onClosed;
    const subscriber: Subscriber = new Subscriber({
      ...options,
      counters: this.counters,
      onClosed: () => {
        this.#subscribers.delete(subscriber);
        onClosed?.();
      },
    });
    this.#subscribers.add(subscriber);
    return subscriber;
  }

  publish(event: PublishedEvent): void {
    this.publishBatch([event]);
  }

  /**
   * Publishes events committed together, each stream's in seq order (streams may
   * interleave). Each subscriber takes the whole batch at once, in one write: the
   * batch's joined frames when it takes them all, else its own frames with the socket
   * corked.
   */
  publishBatch(events: readonly PublishedEvent[]): void {
    const last = events.at(-1);
    if (last === undefined) return;
    for (const event of events) {
      if (event.seq > (this.heads.get(event.stream) ?? 0)) this.heads.set(event.stream, event.seq);
    }
    const batch = events.length === 1 ? undefined : new PublishedBatch(events);
    for (const subscriber of this.#subscribers) {
      try {
        if (batch === undefined) subscriber.offer(last);
        else subscriber.offerBatch(batch);
      } catch (error) {
        this.counters.sendErrors++;
        this.#logger.warn("closing a subscriber that failed to take an event", { error });
        try {
          subscriber.close(CLOSE_CODES.internalError, "delivery failed");
        } catch {
          subscriber.detach();
        }
      }
    }
  }

  /** Closes subscribers that stayed behind or stalled; run on a timer. */
  sweep(now: number = Date.now()): void {
    for (const subscriber of this.#subscribers) subscriber.sweep(now);
  }

  /** Every current subscriber (a copy, safe to close while iterating). */
  subscribers(): Subscriber[] {
    return [...this.#subscribers];
  }

  stats(): BrokerStats {
    let queuedEvents = 0;
    let queuedBytes = 0;
    let maxQueuedBytes = 0;
    for (const subscriber of this.#subscribers) {
      queuedEvents += subscriber.queuedEvents;
      queuedBytes += subscriber.queuedBytes;
      maxQueuedBytes = Math.max(maxQueuedBytes, subscriber.queuedBytes);
    }
    return { subscribers: this.#subscribers.size, queuedEvents, queuedBytes, maxQueuedBytes };
  }
}
