/**
 * One subscriber: a filter, a framer, a sink and a bounded queue. Frames go straight
 * to the socket while it keeps up; past `highWaterBytes` unsent they wait in the
 * queue, bounded by count and bytes. When the queue is full the oldest frame is
 * dropped and a `gap` frame (events after X up to Y were not delivered) is sent
 * before the next one; a subscriber that stays at its limit past the grace period,
 * or whose socket takes nothing for the send timeout, is closed with 4429.
 * `offer` never throws and never waits.
 */
import { CLOSE_CODES, channelMatches } from "@events/schema";
import { FrameQueue, type QueuedFrame } from "./frame-queue.js";
import type { PublishedEvent } from "./published-event.js";
import type { SubscriberFilter, SubscriberOptions } from "./subscriber-options.js";

export type { SubscriberFilter, SubscriberLimits, SubscriberOptions } from "./subscriber-options.js";

export class Subscriber {
  readonly filter: SubscriberFilter;
  /** The newest `seq` handed to the socket (or accounted for by a gap frame). */
  lastSeq = 0;
  #options: SubscriberOptions;
  #queue = new FrameQueue();
  #gap: { from: number; to: number } | undefined;
  /** Frames held back while history is replayed; undefined when live. */
  #replayBuffer: FrameQueue | undefined;
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
    this.filter = options.filter;
    options.sink.onDrain(() => this.#pump());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queuedEvents(): number {
    return this.#queue.length + (this.#replayBuffer?.length ?? 0);
  }

  get queuedBytes(): number {
    return this.#queue.bytes + (this.#replayBuffer?.bytes ?? 0);
  }

  matches(event: PublishedEvent): boolean {
    const { channel, project, direct } = this.filter;
    if (direct === true) return false;
    if (project !== undefined && event.project !== project) return false;
    return channel === undefined || channelMatches(channel, event.channel);
  }

  /** The broker's entry point: frames and delivers a matching event. */
  offer(event: PublishedEvent): void {
    // `seq <= lastSeq`: replay already read it from the store (a cluster node's store
    // can be ahead of what its ordered feed has delivered so far).
    if (this.#closed || event.seq <= this.lastSeq || !this.matches(event)) return;
    this.deliver(event.seq, this.#options.framer.event(event));
    if (this.#options.endsAfter?.(event) === true) this.end(1000, "stream complete");
  }

  /** Offers a batch (in `seq` order) with the socket corked: one write for all its frames. */
  offerBatch(events: readonly PublishedEvent[]): void {
    if (this.#closed) return;
    const sink = this.#options.sink;
    sink.cork?.();
    try {
      for (const event of events) this.offer(event);
    } finally {
      sink.uncork?.();
    }
  }

  /** Closes once everything queued is written (close now if nothing is). */
  end(code: number, reason: string): void {
    if (this.#closed) return;
    this.#ending = { code, reason };
    this.#endIfFlushed();
  }

  #endIfFlushed(): void {
    const ending = this.#ending;
    if (ending === undefined || this.#replayBuffer !== undefined) return;
    if (this.#queue.length === 0 && this.#gap === undefined) this.close(ending.code, ending.reason);
  }

  /** Delivers a framed event (or holds it while history is replayed). */
  deliver(seq: number, bytes: Buffer): void {
    if (this.#closed) return;
    const buffer = this.#replayBuffer;
    if (buffer === undefined) {
      this.#push({ seq, bytes });
      return;
    }
    buffer.push({ seq, bytes });
    if (buffer.length > this.#options.limits.queueEvents || buffer.bytes > this.#options.limits.queueBytes) {
      // Replay reads these again from the store; the epoch tells it to read once more.
      buffer.clear();
      this.#replayEpoch++;
    }
  }

  /** Starts holding live frames back while history is replayed from the store. */
  startReplay(): void {
    this.#replayBuffer = new FrameQueue();
  }

  /** Bumped whenever held-back frames had to be discarded (replay must read further). */
  get replayEpoch(): number {
    return this.#replayEpoch;
  }

  /** Sends one event read back from the store; call `writable()` between events to respect backpressure. */
  replay(event: PublishedEvent): void {
    if (this.#closed || event.seq <= this.lastSeq) return;
    this.#send(this.#options.framer.event(event));
    this.lastSeq = event.seq;
    if (this.#options.endsAfter?.(event) === true) this.#ending ??= { code: 1000, reason: "stream complete" };
  }

  /** Replay is done: held-back frames newer than what replay sent go out, then live. */
  finishReplay(): void {
    const buffer = this.#replayBuffer;
    this.#replayBuffer = undefined;
    if (buffer === undefined || this.#closed) return;
    for (let frame = buffer.shift(); frame !== undefined; frame = buffer.shift()) {
      if (frame.seq > this.lastSeq) this.#push(frame);
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
    this.#replayBuffer = undefined;
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
    this.#replayBuffer = undefined;
    this.#release();
    this.#options.onClosed?.();
  }

  #push(frame: QueuedFrame): void {
    const { limits, counters, framer } = this.#options;
    if (this.#queue.length === 0 && this.#gap === undefined) {
      const buffered = this.#options.sink.buffered;
      if (buffered < limits.highWaterBytes) {
        this.#send(frame.bytes, buffered);
        this.lastSeq = frame.seq;
        return;
      }
    }
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
      this.#gap = { from: this.#gap?.from ?? this.lastSeq, to: dropped.seq };
    }
    if (this.#queue.bytes > this.peakQueueBytes) {
      this.peakQueueBytes = this.#queue.bytes;
      if (this.peakQueueBytes > counters.peakQueueBytes) counters.peakQueueBytes = this.peakQueueBytes;
    }
    if (this.#options.sink.buffered < limits.highWaterBytes) this.#pump();
  }

  #pump(): void {
    if (this.#closed) return;
    const { sink, limits, framer, counters } = this.#options;
    this.#blockedSince = this.#queue.length > 0 || this.#gap !== undefined ? Date.now() : undefined;
    while (sink.buffered < limits.highWaterBytes) {
      const gap = this.#gap;
      if (gap !== undefined && framer.gap !== undefined) {
        this.#gap = undefined;
        counters.gaps++;
        sink.send(framer.gap(gap.from, gap.to));
        this.lastSeq = Math.max(this.lastSeq, gap.to);
        continue;
      }
      const frame = this.#queue.shift();
      if (frame === undefined) break;
      this.#send(frame.bytes);
      this.lastSeq = frame.seq;
    }
    if (this.#queue.length === 0 && this.#gap === undefined) this.#blockedSince = undefined;
    if (this.#queue.length < limits.queueEvents && this.#queue.bytes < limits.queueBytes) this.#behindSince = undefined;
    this.#release();
    this.#endIfFlushed();
  }

  /** `buffered`: what the socket held before, when the caller already read it. */
  #send(bytes: Buffer, buffered: number = this.#options.sink.buffered): void {
    const { counters, sink } = this.#options;
    counters.deliveries++;
    sink.send(bytes);
    const after = buffered + bytes.length;
    if (after > counters.peakBufferedBytes) counters.peakBufferedBytes = after;
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    if (!this.#closed && this.#options.sink.buffered >= this.#options.limits.highWaterBytes) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #slowConsumer(why: string): void {
    const { counters, framer, sink } = this.#options;
    counters.slowConsumerCloses++;
    // Say what was dropped before closing; the client reads it when it catches up.
    const gap = this.#gap;
    if (gap !== undefined && framer.gap !== undefined) {
      this.#gap = undefined;
      counters.gaps++;
      sink.send(framer.gap(gap.from, gap.to));
    }
    this.close(CLOSE_CODES.slowConsumer, `slow consumer: ${why}; resubscribe from seq ${this.lastSeq}`);
  }
}
