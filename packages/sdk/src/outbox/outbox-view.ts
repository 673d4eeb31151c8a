/**
 * `emitter.outbox`: the Outbox interface over the durable outbox. Each call writes
 * events waiting in memory first (so they can be claimed), and throws
 * EventsSdkError when queue.db is unusable; `size()` and `stats()` never throw and
 * count events in memory too, so a broken disk never reads as an empty queue.
 */
import type { DurableOutbox } from "./durable-outbox.js";
import type { ClaimOptions, ClaimedEvent, DeadLetter, NackResult, Outbox, OutboxStats, PurgeResult, QueuedEvent } from "./outbox.js";

export class OutboxView implements Outbox {
  readonly #outbox: DurableOutbox;
  readonly #now: () => number;

  constructor(outbox: DurableOutbox, now: () => number) {
    this.#outbox = outbox;
    this.#now = now;
  }

  size(): number {
    return (this.#outbox.peek((store) => store.rowCount()) ?? 0) + this.#outbox.inMemory;
  }

  claim(limit: number, options?: ClaimOptions): ClaimedEvent[] {
    const leaseMs = options?.leaseMs ?? this.#outbox.limits.leaseMs;
    return this.#outbox.use((store) => store.leases.claim(this.#outbox.owner, limit, leaseMs));
  }

  ack(ids: readonly string[]): string[] {
    return this.#outbox.use((store) => store.leases.ack(this.#outbox.owner, ids));
  }

  nack(ids: readonly string[], error: string): NackResult {
    return this.#outbox.use((store) => store.leases.nack(this.#outbox.owner, ids, error));
  }

  release(ids: readonly string[]): string[] {
    return this.#outbox.use((store) => store.leases.release(this.#outbox.owner, ids));
  }

  releaseExpired(): number {
    return this.#outbox.use((store) => store.leases.releaseExpired());
  }

  deadLetters(options?: { limit?: number }): DeadLetter[] {
    return this.#outbox.use((store) => store.deadLetters.list(options?.limit ?? 100));
  }

  requeueDeadLetters(ids?: readonly string[]): number {
    return this.#outbox.use((store) => store.deadLetters.requeue(ids));
  }

  list(options?: { limit?: number }): QueuedEvent[] {
    return this.#outbox.use((store) => store.list(options?.limit ?? 100));
  }

  purge(options?: { deadLetters?: boolean }): PurgeResult {
    return this.#outbox.use((store) => store.purge(options?.deadLetters === true));
  }

  stats(): OutboxStats {
    const { maxRows, maxBytes, maxRetries } = this.#outbox.limits;
    const limits = { maxRows, maxBytes, maxRetries };
    const inMemory = this.#outbox.inMemory;
    const stored = this.#outbox.peek((store) => store.stats());
    if (stored !== undefined) {
      const { oldestCreatedAt, ...rest } = stored;
      return {
        ...rest,
        size: stored.rows + inMemory,
        inMemory,
        oldestAgeMs: oldestCreatedAt === null ? null : Math.max(0, this.#now() - oldestCreatedAt),
        storage: inMemory === 0 ? "disk" : "memory",
        limits,
      };
    }
    return {
      size: inMemory,
      rows: 0,
      bytes: 0,
      inMemory,
      oldestAgeMs: null,
      leased: 0,
      retryBuckets: { "0": inMemory, "1-3": 0, "4+": 0 },
      topTypes: [],
      evicted: 0,
      rejectedFull: 0,
      deadLettered: 0,
      deadLetters: 0,
      corruptRecovered: 0,
      storage: "memory",
      limits,
    };
  }
}
