/**
 * The hub's one writer. Events submitted in the same tick (and while a commit is in
 * flight) are written together in one transaction; each submitter's promise
 * resolves only after that commit, so nothing is acknowledged before it is stored.
 * Batches commit one after another, and a batch's new events are stored in the order
 * they were submitted, so `onCommitted` sees them in storage order and each stream's
 * in seq order: with PostgreSQL too, live fan-out of a stream is always in seq order
 * within one hub.
 * A failed transaction rejects its submitters with a HubError (`storage_full` or
 * `unavailable`) and the queue goes on with the next batch: nothing stays stuck.
 */
import type { HubStore } from "./hub-store.js";
import type { AppendOutcome, PreparedEvent } from "./records.js";
import { storeFailure } from "./store-errors.js";

export interface CommittedEvent {
  readonly event: PreparedEvent;
  /** The event's stream (`event.stream`: a new event is stored in its own). */
  readonly stream: string;
  /** Its new seq in that stream. */
  readonly seq: number;
}

export interface WriteQueueOptions {
  store: HubStore;
  /** Most events in one transaction. */
  maxBatch: number;
  /** Most serialised bytes in one transaction (a single larger submission still goes alone). */
  maxBatchBytes?: number;
  /** Called after each commit with the newly stored events, in storage order (each stream's in seq order); must not throw. */
  onCommitted: (events: readonly CommittedEvent[]) => void;
  /** Called with each transaction's size and duration, for metrics. */
  onTransaction?: (events: number, seconds: number) => void;
  /** Called when `onCommitted` throws. */
  onError?: (error: unknown) => void;
}

interface Pending {
  readonly events: readonly PreparedEvent[];
  resolve(outcomes: AppendOutcome[]): void;
  reject(error: unknown): void;
}

export class WriteQueue {
  readonly #options: WriteQueueOptions;
  #pending: Pending[] = [];
  #running: Promise<void> | undefined;
  #scheduled = false;

  constructor(options: WriteQueueOptions) {
    this.#options = options;
  }

  /** Stores the events; resolves with one outcome per event after they are committed, or rejects with a HubError. */
  submit(events: readonly PreparedEvent[]): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#pending.push({ events, resolve, reject });
      this.#schedule();
    });
  }

  /** Events waiting for a transaction. */
  get depth(): number {
    let count = 0;
    for (const pending of this.#pending) count += pending.events.length;
    return count;
  }

  /** Resolves when every event submitted so far is committed (or failed). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#running !== undefined) await this.#running;
      else if (this.#scheduled || this.#pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
      else return;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running !== undefined) return;
    this.#scheduled = true;
    // setImmediate: everything submitted in this turn of the loop joins one transaction.
    setImmediate(() => {
      this.#scheduled = false;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        if (this.#pending.length > 0) this.#schedule();
      });
    });
  }

  async #run(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#take();
      const events = batch.flatMap((pending) => pending.events);
      const started = process.hrtime.bigint();
      let outcomes: AppendOutcome[];
      try {
        outcomes = await this.#options.store.append(events, new Date().toISOString());
      } catch (error) {
        const failure = storeFailure(error);
        for (const pending of batch) pending.reject(failure);
        continue;
      }
      this.#options.onTransaction?.(events.length, Number(process.hrtime.bigint() - started) / 1e9);
      const committed: CommittedEvent[] = [];
      for (let index = 0; index < events.length; index++) {
        const outcome = outcomes[index]!;
        if (outcome.inserted) committed.push({ event: events[index]!, stream: outcome.stream, seq: outcome.seq });
      }
      try {
        this.#options.onCommitted(committed);
      } catch (error) {
        // Stored is stored: a failing listener must not turn a commit into a refusal.
        this.#options.onError?.(error);
      }
      let offset = 0;
      for (const pending of batch) {
        pending.resolve(outcomes.slice(offset, offset + pending.events.length));
        offset += pending.events.length;
      }
    }
  }

  /** Whole submissions up to `maxBatch` events and `maxBatchBytes` (at least one submission). */
  #take(): Pending[] {
    const taken: Pending[] = [];
    const maxBytes = this.#options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    let count = 0;
    let bytes = 0;
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      let nextBytes = 0;
      for (const event of next.events) nextBytes += event.json.length;
      const full = count + next.events.length > this.#options.maxBatch || bytes + nextBytes > maxBytes;
      if (taken.length > 0 && full) break;
      taken.push(next);
      count += next.events.length;
      bytes += nextBytes;
      this.#pending.shift();
    }
    return taken;
  }
}
