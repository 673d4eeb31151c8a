/**
 * The outbox as the sync client sees it: a small interface that knows nothing of
 * SQL. Rows are claimed under a lease so two syncers never send the same row at
 * once, acked (deleted) or nacked (retried, then dead-lettered past the retry
 * limit) by the syncer that holds the lease.
 */
import type { Envelope } from "@events/schema";

/** A row handed to one syncer until it acks, nacks or releases it, or its lease expires. */
export interface ClaimedEvent {
  /** The event's `event_id`: what ack, nack and release take. */
  id: string;
  event: Envelope;
  /** Failed deliveries so far. */
  retryCount: number;
  lastError: string | null;
  /** When the lease ends, in epoch milliseconds; after it another syncer may claim the row. */
  leaseUntil: number;
}

export interface ClaimOptions {
  /** How long the rows are leased, in milliseconds. @default the emitter's `leaseMs` (60_000) */
  leaseMs?: number;
}

export interface NackResult {
  /** Rows released for another attempt. */
  retried: string[];
  /** Rows moved to the dead letters because they failed more than `maxRetries` times. */
  deadLettered: string[];
}

export interface DeadLetter {
  id: string;
  event: Envelope;
  retryCount: number;
  lastError: string | null;
  /** When it was dead-lettered, in epoch milliseconds. */
  deadAt: number;
}

export interface OutboxStats {
  /** Events waiting: rows in queue.db plus events held in memory. */
  size: number;
  /** Rows in queue.db. */
  rows: number;
  /** Bytes of event JSON in queue.db. */
  bytes: number;
  /** Events held in memory because the disk could not take them. */
  inMemory: number;
  /** Age of the oldest waiting event in milliseconds, or null when none waits. */
  oldestAgeMs: number | null;
  /** Rows under a live lease. */
  leased: number;
  /** Rows by failed deliveries so far. */
  retryBuckets: { "0": number; "1-3": number; "4+": number };
  /** The five most frequent event types waiting. */
  topTypes: Array<{ eventType: string; count: number }>;
  /** Rows removed by the cap (`evict-oldest`), ever. */
  evicted: number;
  /** Emits refused by the cap (`reject-new`), ever. */
  rejectedFull: number;
  /** Rows moved to the dead letters, ever. */
  deadLettered: number;
  /** Rows in the dead letters now. */
  deadLetters: number;
  /** Corrupt queue.db files moved aside and replaced, ever. */
  corruptRecovered: number;
  /** Where new events go now: `disk`, or `memory` while queue.db cannot take them. */
  storage: "disk" | "memory";
  limits: { maxRows: number; maxBytes: number; maxRetries: number };
}

/** A row as `events queue list` shows it. */
export interface QueuedEvent {
  id: string;
  event: Envelope;
  retryCount: number;
  lastError: string | null;
  /** Whether a syncer holds it right now. */
  leased: boolean;
}

export interface PurgeResult {
  /** Rows deleted from the outbox. */
  outbox: number;
  /** Rows deleted from the dead letters (only when asked). */
  deadLetters: number;
}

export interface Outbox {
  /** Events waiting: rows in queue.db plus events held in memory (never a false zero). */
  size(): number;
  /** Leases up to `limit` unleased (or expired) rows, oldest Lamport value first. */
  claim(limit: number, options?: ClaimOptions): ClaimedEvent[];
  /** Deletes delivered rows this outbox holds leases on; returns the ids deleted. */
  ack(ids: readonly string[]): string[];
  /** Records a failed delivery: the row is released for a retry, or dead-lettered past `maxRetries`. */
  nack(ids: readonly string[], error: string): NackResult;
  /** Gives leased rows back without counting a failure; returns the ids released. */
  release(ids: readonly string[]): string[];
  /** Frees every expired lease now (a syncer died holding them); returns how many. */
  releaseExpired(): number;
  stats(): OutboxStats;
  /** Dead-lettered rows, oldest first. */
  deadLetters(options?: { limit?: number }): DeadLetter[];
  /** Moves dead letters (all, or the given ids) back to the outbox with their retry count reset; returns how many. */
  requeueDeadLetters(ids?: readonly string[]): number;
  /** Waiting rows, oldest Lamport value first, without leasing them. */
  list(options?: { limit?: number }): QueuedEvent[];
  /** Deletes every waiting row (and the dead letters too, when asked). For `events queue purge --yes`. */
  purge(options?: { deadLetters?: boolean }): PurgeResult;
}
