/**
 * One subscriber: a filter, a framer, a sink, a position and a bounded queue. Frames
 * go straight to the socket while it keeps up; past `highWaterBytes` unsent they
 * wait in the queue, bounded by count and bytes. When the queue is full the oldest
 * frame is dropped and, per stream that lost events, a `gap` frame (events of that
 * stream after X up to Y were not delivered) is sent before the next one; a
 * subscriber that stays at its limit past the grace period, or whose socket takes
 * nothing for the send timeout, is closed with 4429. The position moves when an
 * event is framed (or dropped with a gap), so an event at or below it is never
 * framed twice: each stream is delivered in seq order, without duplicates.
 * `offer` never throws and never waits.
 */
import { CLOSE_CODES, channelMatches } from "@events/schema";
import { FrameQueue, type QueuedFrame } from "./frame-queue.js";
import type { PublishedBatch } from "./published-batch.js";
import type { PublishedEvent } from "./published-event.js";
import { StreamPosition } from "./stream-position.js";
import type { SubscriberFilter, SubscriberOptions } from "./subscriber-options.js";

export type { SubscriberFilter, SubscriberLimits, SubscriberOptions } from "./subscriber-options.js";

/** Events held back while history is replayed, with the bytes they will take. */
interface Held {
  readonly events: PublishedEvent[];
  bytes: number;
}

/** Events of one stream dropped and not yet announced: after `from` up to `to`. */
interface PendingGap {
  readonly from: number;
  to: number;
}

export class Subscriber {
  readonly filter: SubscriberFilter;
  /** The last seq of each stream framed for the socket (or dropped and announced by a gap). */
  readonly position = new StreamPosition();
  #options: SubscriberOptions;
  // What every delivery reads, held here rather than one object further (#options).
  readonly #sink: SubscriberOptions["sink"];
  readonly #framer: SubscriberOptions["framer"];
  readonly #counters: SubscriberOptions["counters"];
  readonly #highWaterBytes: number;
  readonly #endsAfter: SubscriberOptions["endsAfter"];
  #queue = new FrameQueue();
  #gaps = new Map<string, PendingGap>();
  /** Events held back while history is replayed; undefined when live. */
  #held: Held | undefined;
  #replayEpoch = 0;
  #behindSince: number | undefined;
  #blockedSince: number | undefined;
  #waiters: (() => void)[] = [];
  #closed = false;
  #ending: { code: number; reason: string } | undefined;
  /** The most this subscriber ever queued, in bytes (for tests and metrics). */
  peakQueueBytes = 0;

  constructor(options: SubscriberOptions) {
    this.#options = options;
    this.#sink = options.sink;
    this.#framer = options.framer;
    this.#counters = options.counters;
    this.#highWaterBytes = options.limits.highWaterBytes;
    this.#endsAfter = options.endsAfter;
    this.filter = options.filter;
    options.sink.onDrain(() => this.#pump());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queuedEvents(): number {
    return this.#queue.length + (this.#held?.events.length ?? 0);
  }

  get queuedBytes(): number {
    return this.#queue.bytes + (this.#held?.bytes ?? 0);
  }

  matches(event: PublishedEvent): boolean {
    const { channel, project, direct } = this.filter;
    if (direct === true) return false;
    if (project !== undefined && event.project !== project) return false;
    return channel === undefined || channelMatches(channel, event.channel);
  }

  /** The broker's entry point: frames and delivers a matching event (or holds it while history is replayed). */
  offer(event: PublishedEvent): void {
    if (this.#closed || !this.matches(event)) return;
    const held = this.#held;
    if (held === undefined) {
      this.#accept(event);
      return;
    }
    held.events.push(event);
    held.bytes += event.json.length;
    if (held.events.length > this.#options.limits.queueEvents || held.bytes > this.#options.limits.queueBytes) {
      // Replay reads these again from the store; the epoch tells it to read once more.
      this.#held = { events: [], bytes: 0 };
      this.#replayEpoch++;
    }
  }

  /**
   * Offers a batch (each stream in seq order) in one write: the batch's shared joined
   * frames when this subscriber takes every event of it at once, else its own frames
   * with the socket corked.
   */
  offerBatch(batch: PublishedBatch): void {
    if (this.#closed) return;
    if (this.#takesWhole(batch)) {
      const bytes = this.#framer.batch!(batch);
      // Past the high-water mark a socket holds at most one frame more: a larger batch goes event by event (and queues).
      const buffered = this.#sink.buffered;
      if (buffered + bytes.length <= this.#highWaterBytes) {
        const position = this.position;
        for (const { stream, last } of batch.streams) position.move(stream, last);
        // One delivery per event; #send counts the first.
        this.#counters.deliveries += batch.events.length - 1;
        this.#send(bytes, undefined, buffered);
        return;
      }
    }
    const sink = this.#sink;
    sink.cork?.();
    try {
      for (const event of batch.events) this.offer(event);
    } finally {
      sink.uncork?.();
    }
  }

  /**
   * Whether the whole batch can go as its shared joined frames: live, nothing queued
   * or owed before it, every event matching and new to the position, and framed by
   * the event alone.
   */
  #takesWhole(batch: PublishedBatch): boolean {
    if (!batch.ascending || this.#framer.batch === undefined || this.#framer.position !== undefined || this.#endsAfter !== undefined) return false;
    if (this.#held !== undefined || this.#queue.length !== 0 || this.#gaps.size !== 0) return false;
    const { channel, project, direct } = this.filter;
    if (channel !== undefined || project !== undefined || direct === true) {
      for (const event of batch.events) if (!this.matches(event)) return false;
    }
    const position = this.position;
    for (const { stream, first } of batch.streams) if (first <= position.get(stream)) return false;
    return true;
  }

  /** Closes once everything queued is written (close now if nothing is). */
  end(code: number, reason: string): void {
    if (this.#closed) return;
    this.#ending = { code, reason };
    this.#endIfFlushed();
  }

  #endIfFlushed(): void {
    const ending = this.#ending;
    if (ending === undefined || this.#held !== undefined) return;
    if (this.#queue.length === 0 && this.#gaps.size === 0) this.close(ending.code, ending.reason);
  }

  /** Delivers a frame of a computed channel (problems), outside any stream. */
  deliver(bytes: Buffer): void {
    if (this.#closed) return;
    this.#push({ stream: "", seq: 0, prev: 0, bytes });
  }

  /**
   * Frames an event that moves the position; one at or below it was sent already
   * (replay read it from the store). The hot path of every delivery: a socket that
   * keeps up gets the shared frame at once, with no queue entry made for it.
   */
  #accept(event: PublishedEvent): void {
    // A cluster node's store can be ahead of what its ordered feed has delivered so far.
    const prev = this.position.move(event.stream, event.seq);
    if (prev < 0) return;
    const framer = this.#framer;
    const bytes = framer.event(event, this.position);
    const after = framer.position === undefined ? undefined : framer.position(this.position);
    if (!this.#sendNow(bytes, after)) this.#enqueue({ stream: event.stream, seq: event.seq, prev, bytes, after });
    if (this.#endsAfter !== undefined && this.#endsAfter(event)) this.end(1000, "stream complete");
  }

  /** Starts holding live events back while history is replayed from the store. */
  startReplay(): void {
    this.#held = { events: [], bytes: 0 };
  }

  /** Bumped whenever held-back events had to be discarded (replay must read further). */
  get replayEpoch(): number {
    return this.#replayEpoch;
  }

  /** Sends one event read back from the store; call `writable()` between events to respect backpressure. */
  replay(event: PublishedEvent): void {
    if (this.#closed || !this.position.advance(event.stream, event.seq)) return;
    const { framer } = this.#options;
    this.#send(framer.event(event, this.position), framer.position?.(this.position));
    if (this.#options.endsAfter?.(event) === true) this.#ending ??= { code: 1000, reason: "stream complete" };
  }

  /** Replay is done: held-back events newer than the position go out, then live. */
  finishReplay(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined || this.#closed) return;
    const sink = this.#options.sink;
    sink.cork?.();
    try {
      for (const event of held.events) if (!this.#closed) this.#accept(event);
    } finally {
      sink.uncork?.();
    }
    this.#endIfFlushed();
  }

  /** Resolves when the socket holds less than the high-water mark (or the subscriber closed). */
  writable(): Promise<void> {
    if (this.#closed || this.#options.sink.buffered < this.#options.limits.highWaterBytes) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Closes for a slow consumer (or stall) if it has been behind too long; called by the broker's sweep. */
  sweep(now: number): void {
    if (this.#closed) return;
    const { sendTimeoutMs, slowConsumerGraceMs } = this.#options.limits;
    if (this.#behindSince !== undefined && now - this.#behindSince > slowConsumerGraceMs) {
      this.#slowConsumer("stayed at its queue limit");
    } else if (this.#blockedSince !== undefined && now - this.#blockedSince > sendTimeoutMs) {
      this.#slowConsumer("took nothing within the send timeout");
    }
  }

  /** Marks the subscriber closed and tells the sink; safe to call twice. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#held = undefined;
    this.#release();
    try {
      this.#options.sink.close(code, reason);
    } finally {
      this.#options.onClosed?.();
    }
  }

  /** The socket went away: forget everything without writing to it. */
  detach(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#held = undefined;
    this.#release();
    this.#options.onClosed?.();
  }

  /** Sends at once when nothing waits before it and the socket is under its high-water mark; false when the frame must queue. */
  #sendNow(bytes: Buffer, after: Buffer | undefined): boolean {
    if (this.#queue.length !== 0 || this.#gaps.size !== 0) return false;
    const buffered = this.#sink.buffered;
    if (buffered >= this.#highWaterBytes) return false;
    this.#send(bytes, after, buffered);
    return true;
  }

  #push(frame: QueuedFrame): void {
    if (!this.#sendNow(frame.bytes, frame.after)) this.#enqueue(frame);
  }

  /** Queues a frame behind what waits (dropping the oldest past the bounds), then writes what the socket takes. */
  #enqueue(frame: QueuedFrame): void {
    const { limits, counters, framer } = this.#options;
    this.#queue.push(frame);
    this.#blockedSince ??= Date.now();
    while (this.#queue.length > limits.queueEvents || this.#queue.bytes > limits.queueBytes) {
      if (framer.gap === undefined) {
        this.#slowConsumer("fell behind on a channel without gap frames");
        return;
      }
      const dropped = this.#queue.shift()!;
      counters.drops++;
      this.#behindSince ??= Date.now();
      const gap = this.#gaps.get(dropped.stream);
      if (gap === undefined) this.#gaps.set(dropped.stream, { from: dropped.prev, to: dropped.seq });
      else gap.to = dropped.seq;
    }
    if (this.#queue.bytes > this.peakQueueBytes) {
      this.peakQueueBytes = this.#queue.bytes;
      if (this.peakQueueBytes > counters.peakQueueBytes) counters.peakQueueBytes = this.peakQueueBytes;
    }
    if (this.#options.sink.buffered < limits.highWaterBytes) this.#pump();
  }

  #pump(): void {
    if (this.#closed) return;
    const { sink, limits } = this.#options;
    this.#blockedSince = this.#queue.length > 0 || this.#gaps.size > 0 ? Date.now() : undefined;
    // What the socket takes now leaves in one write, not one per queued frame.
    sink.cork?.();
    try {
      while (sink.buffered < limits.highWaterBytes) {
        // Every pending gap goes out before the frames queued after the drops.
        if (this.#sendGaps()) continue;
        const frame = this.#queue.shift();
        if (frame === undefined) break;
        this.#send(frame.bytes, frame.after);
      }
    } finally {
      sink.uncork?.();
    }
    if (this.#queue.length === 0 && this.#gaps.size === 0) this.#blockedSince = undefined;
    if (this.#queue.length < limits.queueEvents && this.#queue.bytes < limits.queueBytes) this.#behindSince = undefined;
    this.#release();
    this.#endIfFlushed();
  }

  /** Sends the pending gap frames, one per stream; false when there were none. */
  #sendGaps(): boolean {
    const { framer, counters, sink } = this.#options;
    if (this.#gaps.size === 0 || framer.gap === undefined) return false;
    const gaps = [...this.#gaps];
    this.#gaps.clear();
    for (const [stream, gap] of gaps) {
      counters.gaps++;
      sink.send(framer.gap(stream, gap.from, gap.to));
    }
    return true;
  }

  /** `buffered`: what the socket held before, when the caller already read it. */
  #send(bytes: Buffer, after: Buffer | undefined, buffered: number = this.#sink.buffered): void {
    const counters = this.#counters;
    const sink = this.#sink;
    counters.deliveries++;
    let sent = bytes.length;
    if (after === undefined) {
      sink.send(bytes);
    } else {
      // Two writes (the shared frame, then this subscriber's part) leave as one.
      sink.cork?.();
      sink.send(bytes);
      sink.send(after);
      sink.uncork?.();
      sent += after.length;
    }
    if (buffered + sent > counters.peakBufferedBytes) counters.peakBufferedBytes = buffered + sent;
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    if (!this.#closed && this.#options.sink.buffered >= this.#options.limits.highWaterBytes) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #slowConsumer(why: string): void {
    const { counters } = this.#options;
    counters.slowConsumerCloses++;
    // Say what was dropped before closing; the client reads it when it catches up.
    this.#sendGaps();
    this.close(CLOSE_CODES.slowConsumer, `slow consumer: ${why}; resubscribe from the position you last processed`);
  }
}
