/**
 * The one ordered path by which a cluster node delivers events: its own commits and
 * other nodes' (from the bus) go in, and the local broker gets every seq once, in
 * seq order, whichever node stored it. So every node's subscribers, session
 * channels and problems deltas see the same stream.
 *
 * It relies on one guarantee of the store (append-postgres.ts): seq values become
 * visible in order and without holes. So a message announcing seq N means every seq
 * below N is already readable, and a missing range can always be read from the
 * store: an in-flight transaction cannot be mistaken for a lost event, because no
 * later seq is visible (or announced) before it commits.
 *
 * Batches that arrive ahead of the next seq wait in a reorder buffer (bounded by
 * `maxPendingEvents`) for `gapWaitMs`, in case the message before them is merely
 * late; then the gap is read from the store. Past the bound, the buffer is dropped
 * and everything up to its newest seq is read from the store. `catchUp()` reads
 * from the last delivered seq to the store's head (after a bus reconnect), and
 * `checkLag()` (on a timer) fills anything committed a whole interval ago and still
 * not delivered, so a message lost while nothing follows it is found too.
 */
import type { PublishedEvent } from "../broker/published-event.js";
import type { Logger } from "../logger.js";

export interface FeedBatch {
  readonly first: number;
  readonly last: number;
  /** The events `first..last`; undefined when they must be read from the store. */
  readonly events: readonly PublishedEvent[] | undefined;
}

export interface OrderedFeedOptions {
  /** The newest seq already delivered (the store's head when the node started). */
  readonly start: number;
  /** Stored events after a seq, oldest first (the whole stream, no filter). */
  readonly read: (afterSeq: number, limit: number) => Promise<PublishedEvent[]>;
  /** The newest committed seq. */
  readonly storeHead: () => Promise<number>;
  /** Hands events to the node's broker, in seq order; must not throw. */
  readonly deliver: (events: readonly PublishedEvent[]) => void;
  readonly gapWaitMs: number;
  readonly maxPendingEvents: number;
  readonly logger: Logger;
}

export interface FeedCounters {
  /** Gaps (missing bus messages) filled from the store. */
  gapFills: number;
  /** Events delivered from the store rather than from the bus or a local commit. */
  filledEvents: number;
  /** Catch-ups from the store (bus reconnects, lag checks). */
  catchUps: number;
  /** Times the reorder buffer overflowed and was replaced by a read from the store. */
  overflows: number;
  /** Failed reads from the store while filling (retried). */
  fillErrors: number;
}

/** Rows per store read while filling; below the subscriber queue limit, so one read is one broker batch. */
const PAGE = 500;

export class OrderedFeed {
  readonly counters: FeedCounters = { gapFills: 0, filledEvents: 0, catchUps: 0, overflows: 0, fillErrors: 0 };
  #delivered: number;
  /** Batches ahead of the next seq, sorted by `first`. */
  #pending: FeedBatch[] = [];
  #pendingEvents = 0;
  #filling: Promise<void> | undefined;
  #fillTarget = 0;
  #gapTimer: NodeJS.Timeout | undefined;
  #seenHead = 0;
  #storeHead = 0;
  #closed = false;
  readonly #options: OrderedFeedOptions;

  constructor(options: OrderedFeedOptions) {
    this.#options = options;
    this.#delivered = options.start;
    this.#storeHead = options.start;
  }

  /** The newest seq delivered to the local broker. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Events waiting in the reorder buffer. */
  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  /** The store's head at the last check (lag = this minus `delivered`). */
  get storeHeadSeen(): number {
    return Math.max(this.#storeHead, this.#delivered);
  }

  /** A committed range, from this node or from the bus. Never throws. */
  offer(batch: FeedBatch): void {
    if (this.#closed || batch.last <= this.#delivered) return;
    const index = this.#pending.findIndex((other) => other.first > batch.first);
    this.#pending.splice(index < 0 ? this.#pending.length : index, 0, batch);
    this.#pendingEvents += batch.last - batch.first + 1;
    // Drained first: the batch that fills the gap is delivered, not counted as overflow.
    this.#drain();
    if (this.#pendingEvents > this.#options.maxPendingEvents) {
      const newest = Math.max(...this.#pending.map((pending) => pending.last));
      this.#pending = [];
      this.#pendingEvents = 0;
      this.counters.overflows++;
      this.#options.logger.warn("cluster reorder buffer full; reading from the store", { through: newest });
      this.#fill(newest);
    }
  }

  /** Reads from the last delivered seq up to the store's head (after a bus reconnect). */
  async catchUp(): Promise<void> {
    if (this.#closed) return;
    const head = await this.#options.storeHead();
    this.#storeHead = Math.max(this.#storeHead, head);
    if (head > this.#delivered) {
      this.counters.catchUps++;
      this.#fill(head);
    }
  }

  /**
   * Fills what was committed at the previous check and is still not delivered (the
   * bus lost it and nothing after it arrived); run every `catchUpIntervalMs`.
   */
  async checkLag(): Promise<void> {
    if (this.#closed) return;
    const head = await this.#options.storeHead();
    this.#storeHead = Math.max(this.#storeHead, head);
    const overdue = this.#seenHead;
    this.#seenHead = head;
    if (overdue > this.#delivered && this.#filling === undefined) {
      this.counters.catchUps++;
      this.#fill(overdue);
    }
  }

  /** Resolves when no fill from the store is running. */
  async settled(): Promise<void> {
    while (this.#filling !== undefined) await this.#filling;
  }

  close(): void {
    this.#closed = true;
    this.#pending = [];
    this.#pendingEvents = 0;
    if (this.#gapTimer !== undefined) clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
  }

  #drain(): void {
    if (this.#filling !== undefined || this.#closed) return;
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      if (head.first > this.#delivered + 1) break;
      if (head.last > this.#delivered && head.events === undefined) {
        // Announced by range only (a large commit): read it.
        this.#fill(head.last);
        return;
      }
      this.#pending.shift();
      this.#pendingEvents -= head.last - head.first + 1;
      if (head.last <= this.#delivered) continue;
      const events = head.events!;
      this.#deliver(head.first > this.#delivered ? events : events.slice(this.#delivered + 1 - head.first));
    }
    this.#armGapTimer();
  }

  #armGapTimer(): void {
    if (this.#pending.length === 0) {
      if (this.#gapTimer !== undefined) clearTimeout(this.#gapTimer);
      this.#gapTimer = undefined;
      return;
    }
    if (this.#gapTimer !== undefined) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      const next = this.#pending[0];
      if (next === undefined || this.#filling !== undefined || this.#closed) return;
      if (next.first > this.#delivered + 1) {
        this.counters.gapFills++;
        this.#fill(next.first - 1);
      } else {
        this.#drain();
      }
    }, this.#options.gapWaitMs);
    this.#gapTimer.unref();
  }

  #deliver(events: readonly PublishedEvent[]): void {
    const last = events.at(-1);
    if (last === undefined) return;
    this.#delivered = last.seq;
    this.#options.deliver(events);
  }

  /** Reads from the store until `target` is delivered; offers meanwhile wait in the buffer. */
  #fill(target: number): void {
    this.#fillTarget = Math.max(this.#fillTarget, target);
    if (this.#filling !== undefined || this.#closed) return;
    this.#filling = this.#read().finally(() => {
      this.#filling = undefined;
      this.#drain();
    });
  }

  async #read(): Promise<void> {
    let emptyReads = 0;
    while (!this.#closed && this.#delivered < this.#fillTarget) {
      let rows: PublishedEvent[];
      try {
        rows = await this.#options.read(this.#delivered, PAGE);
      } catch (error) {
        this.counters.fillErrors++;
        this.#options.logger.warn("reading missed events from the store failed; retrying", { error });
        await sleep(Math.max(this.#options.gapWaitMs, 500));
        continue;
      }
      const fresh = rows.filter((row) => row.seq > this.#delivered);
      if (fresh.length === 0) {
        // Cannot happen while the store's guarantee holds (an announced seq is committed).
        // Retry briefly rather than skip; then give up loudly, never silently.
        if (++emptyReads >= 5) {
          this.#options.logger.error("announced events are not in the store; skipping them", { after: this.#delivered, through: this.#fillTarget });
          this.#delivered = this.#fillTarget;
          return;
        }
        await sleep(this.#options.gapWaitMs);
        continue;
      }
      this.counters.filledEvents += fresh.length;
      this.#deliver(fresh);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
