/**
 * The one ordered path by which a cluster node delivers events: its own commits and
 * other nodes' (from the bus) go in, and the local broker gets every seq of every
 * stream once, in that stream's seq order, whichever node stored it. So every node's
 * subscribers, session channels and problems deltas see the same streams.
 *
 * It relies on one guarantee of the store (append-postgres.ts, per-stream counter
 * rows): within a stream, seq values become visible in order and without holes. So a
 * message announcing seq N of a stream means every lower seq of that stream is
 * already readable, and a missing range can always be read from the store: an
 * in-flight transaction cannot be mistaken for a lost event, because no later seq of
 * its stream is visible (or announced) before it commits. Streams are independent:
 * a gap in one never holds back another.
 *
 * Per stream, batches that arrive ahead of the next seq wait in a reorder buffer for
 * `gapWaitMs`, in case the message before them is merely late; then the gap is read
 * from the store. All streams' buffers together hold at most `maxPendingEvents`;
 * past that the largest buffer is dropped and its stream read from the store up to
 * its newest seq. `catchUp()` reads every stream from its last delivered seq to the
 * store's head (after a bus reconnect), and `checkLag()` (on a timer) fills anything
 * committed a whole interval ago and still not delivered, so a message lost while
 * nothing follows it in its stream is found too.
 */
import type { Position } from "@events/schema";
import type { PublishedEvent } from "../broker/published-event.js";
import type { Logger } from "../logger.js";

/** A committed range of one stream. */
export interface FeedBatch {
  readonly stream: string;
  readonly first: number;
  readonly last: number;
  /** The events `first..last`; undefined when they must be read from the store. */
  readonly events: readonly PublishedEvent[] | undefined;
}

export interface OrderedFeedOptions {
  /** Each stream's newest seq already delivered (the store's heads when the node started). */
  readonly start: Position;
  /** Stored events of one stream after a seq, in seq order. */
  readonly read: (stream: string, afterSeq: number, limit: number) => Promise<readonly PublishedEvent[]>;
  /** Each stream's newest committed seq. */
  readonly storeHeads: () => Promise<Position>;
  /** Hands events of one stream to the node's broker, in seq order; must not throw. */
  readonly deliver: (events: readonly PublishedEvent[]) => void;
  readonly gapWaitMs: number;
  /** Events all reorder buffers together may hold. */
  readonly maxPendingEvents: number;
  readonly logger: Logger;
}

export interface FeedCounters {
  /** Gaps (missing bus messages) filled from the store. */
  gapFills: number;
  /** Events delivered from the store rather than from the bus or a local commit. */
  filledEvents: number;
  /** Streams caught up from the store (bus reconnects, lag checks). */
  catchUps: number;
  /** Times a reorder buffer was dropped for the bound and replaced by a read from the store. */
  overflows: number;
  /** Failed reads from the store while filling (retried). */
  fillErrors: number;
}

/** What the feed keeps for a stream that has events waiting or being read. */
interface StreamState {
  /** Batches ahead of the next seq, sorted by `first`. */
  pending: FeedBatch[];
  pendingEvents: number;
  /** Queued for or running a read from the store; offers wait in `pending` meanwhile. */
  filling: boolean;
  fillTarget: number;
  gapTimer: NodeJS.Timeout | undefined;
}

/** Rows per store read while filling; below the subscriber queue limit, so one read is one broker batch. */
const PAGE = 500;
/** Streams read from the store at once (a catch-up after a bus outage may concern every stream; the pool also serves writes). */
export const FILL_CONCURRENCY = 4;

export class OrderedFeed {
  readonly counters: FeedCounters = { gapFills: 0, filledEvents: 0, catchUps: 0, overflows: 0, fillErrors: 0 };
  readonly #delivered: Map<string, number>;
  readonly #streams = new Map<string, StreamState>();
  #pendingEvents = 0;
  /** The store's heads at the previous lag check: what `checkLag` fills if still not delivered. */
  #overdue: Position = new Map();
  /** Streams waiting for a read slot, and reads running. */
  readonly #fillQueue: string[] = [];
  readonly #reads = new Set<Promise<void>>();
  #closed = false;
  readonly #options: OrderedFeedOptions;

  constructor(options: OrderedFeedOptions) {
    this.#options = options;
    this.#delivered = new Map(options.start);
  }

  /** The newest seq delivered to the local broker, per stream. */
  get delivered(): ReadonlyMap<string, number> {
    return this.#delivered;
  }

  /** Events waiting in the reorder buffers. */
  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  /** A committed range of one stream, from this node or from the bus. Never throws. */
  offer(batch: FeedBatch): void {
    if (this.#closed || batch.last <= this.#at(batch.stream)) return;
    const state = this.#state(batch.stream);
    const index = state.pending.findIndex((other) => other.first > batch.first);
    state.pending.splice(index < 0 ? state.pending.length : index, 0, batch);
    const size = batch.last - batch.first + 1;
    state.pendingEvents += size;
    this.#pendingEvents += size;
    // Drained first: the batch that fills the gap is delivered, not counted as overflow.
    this.#drain(batch.stream, state);
    while (this.#pendingEvents > this.#options.maxPendingEvents) this.#overflow();
  }

  /** Reads every stream from its last delivered seq up to the store's head (after a bus reconnect). */
  async catchUp(): Promise<void> {
    if (this.#closed) return;
    const heads = await this.#options.storeHeads();
    for (const [stream, head] of heads) {
      if (head <= this.#at(stream)) continue;
      this.counters.catchUps++;
      this.#fill(stream, head);
    }
  }

  /**
   * Fills, per stream, what was committed at the previous check and is still not
   * delivered (the bus lost it and nothing after it arrived); run every `catchUpIntervalMs`.
   */
  async checkLag(): Promise<void> {
    if (this.#closed) return;
    const overdue = this.#overdue;
    this.#overdue = await this.#options.storeHeads();
    for (const [stream, head] of overdue) {
      if (head <= this.#at(stream) || this.#streams.get(stream)?.filling === true) continue;
      this.counters.catchUps++;
      this.#fill(stream, head);
    }
  }

  /** Resolves when no read from the store is queued or running. */
  async settled(): Promise<void> {
    while (this.#reads.size > 0) await Promise.allSettled([...this.#reads]);
  }

  close(): void {
    this.#closed = true;
    for (const state of this.#streams.values()) if (state.gapTimer !== undefined) clearTimeout(state.gapTimer);
    this.#streams.clear();
    this.#fillQueue.length = 0;
    this.#pendingEvents = 0;
  }

  #at(stream: string): number {
    return this.#delivered.get(stream) ?? 0;
  }

  #state(stream: string): StreamState {
    let state = this.#streams.get(stream);
    if (state === undefined) {
      state = { pending: [], pendingEvents: 0, filling: false, fillTarget: 0, gapTimer: undefined };
      this.#streams.set(stream, state);
    }
    return state;
  }

  #drain(stream: string, state: StreamState): void {
    if (state.filling || this.#closed) return;
    while (state.pending.length > 0) {
      const head = state.pending[0]!;
      const delivered = this.#at(stream);
      if (head.first > delivered + 1) break;
      if (head.last > delivered && head.events === undefined) {
        // Announced by range only (a large commit): read it.
        this.#fill(stream, head.last);
        return;
      }
      this.#unbuffer(state, state.pending.shift()!);
      if (head.last <= delivered) continue;
      const events = head.events!;
      this.#deliver(stream, head.first > delivered ? events : events.slice(delivered + 1 - head.first));
    }
    this.#armGapTimer(stream, state);
  }

  #unbuffer(state: StreamState, batch: FeedBatch): void {
    const size = batch.last - batch.first + 1;
    state.pendingEvents -= size;
    this.#pendingEvents -= size;
  }

  /** Drops the largest buffer (most likely the one stuck behind a gap) and reads its stream instead. */
  #overflow(): void {
    let stream: string | undefined;
    let largest: StreamState | undefined;
    for (const [name, state] of this.#streams) {
      if (largest === undefined || state.pendingEvents > largest.pendingEvents) {
        stream = name;
        largest = state;
      }
    }
    if (stream === undefined || largest === undefined || largest.pendingEvents === 0) return;
    const newest = Math.max(...largest.pending.map((pending) => pending.last));
    for (const batch of largest.pending.splice(0)) this.#unbuffer(largest, batch);
    this.counters.overflows++;
    this.#options.logger.warn("cluster reorder buffer full; reading a stream from the store", { stream, through: newest });
    this.#fill(stream, newest);
  }

  #armGapTimer(stream: string, state: StreamState): void {
    if (state.pending.length === 0) {
      if (state.gapTimer !== undefined) clearTimeout(state.gapTimer);
      state.gapTimer = undefined;
      if (!state.filling) this.#streams.delete(stream);
      return;
    }
    if (state.gapTimer !== undefined) return;
    state.gapTimer = setTimeout(() => {
      state.gapTimer = undefined;
      const next = state.pending[0];
      if (next === undefined || state.filling || this.#closed) return;
      if (next.first > this.#at(stream) + 1) {
        this.counters.gapFills++;
        this.#fill(stream, next.first - 1);
      } else {
        this.#drain(stream, state);
      }
    }, this.#options.gapWaitMs);
    state.gapTimer.unref();
  }

  #deliver(stream: string, events: readonly PublishedEvent[]): void {
    const last = events.at(-1);
    if (last === undefined) return;
    this.#delivered.set(stream, last.seq);
    this.#options.deliver(events);
  }

  /** Reads `stream` from the store until `target` is delivered; its offers meanwhile wait in the buffer. */
  #fill(stream: string, target: number): void {
    if (this.#closed) return;
    const state = this.#state(stream);
    state.fillTarget = Math.max(state.fillTarget, target);
    if (state.filling) return;
    state.filling = true;
    this.#fillQueue.push(stream);
    this.#pump();
  }

  #pump(): void {
    while (this.#reads.size < FILL_CONCURRENCY && this.#fillQueue.length > 0 && !this.#closed) {
      const stream = this.#fillQueue.shift()!;
      const state = this.#state(stream);
      const read: Promise<void> = this.#read(stream, state).finally(() => {
        this.#reads.delete(read);
        state.filling = false;
        this.#drain(stream, state);
        this.#pump();
      });
      this.#reads.add(read);
    }
  }

  async #read(stream: string, state: StreamState): Promise<void> {
    let emptyReads = 0;
    while (!this.#closed && this.#at(stream) < state.fillTarget) {
      const after = this.#at(stream);
      let rows: readonly PublishedEvent[];
      try {
        rows = await this.#options.read(stream, after, PAGE);
      } catch (error) {
        this.counters.fillErrors++;
        this.#options.logger.warn("reading missed events from the store failed; retrying", { stream, error });
        await sleep(Math.max(this.#options.gapWaitMs, 500));
        continue;
      }
      const fresh = rows.filter((row) => row.seq > after);
      if (fresh.length === 0) {
        // Cannot happen while the store's guarantee holds (an announced seq is committed).
        // Retry briefly rather than skip; then give up loudly, never silently.
        if (++emptyReads >= 5) {
          this.#options.logger.error("announced events are not in the store; skipping them", { stream, after, through: state.fillTarget });
          this.#delivered.set(stream, state.fillTarget);
          return;
        }
        await sleep(this.#options.gapWaitMs);
        continue;
      }
      this.counters.filledEvents += fresh.length;
      this.#deliver(stream, fresh);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
