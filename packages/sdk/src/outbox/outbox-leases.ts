/**
 * Leases: how several syncers share one outbox without sending a row twice at once.
 * `claim` takes unleased or expired rows in Lamport order and stamps them with its
 * owner and an expiry, in one IMMEDIATE transaction, so no row is ever under two
 * live leases. Only the owner of a lease can ack, nack or release the row; a syncer
 * that died holding leases loses them when they expire (or `releaseExpired`).
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import type { DeadLetterTable } from "./dead-letters.js";
import type { ClaimedEvent, NackResult } from "./outbox.js";
import { parseStored } from "./prepared-event.js";

export interface LeaseOptions {
  maxRetries: number;
  now: () => number;
  deadLetters: DeadLetterTable;
}

interface ClaimedRow {
  event_id: string;
  lamport: number;
  node_id: string;
  data: string;
  retry_count: number;
  last_error: string | null;
}

function byTotalOrder(a: ClaimedRow, b: ClaimedRow): number {
  if (a.lamport !== b.lamport) return a.lamport - b.lamport;
  if (a.node_id !== b.node_id) return a.node_id < b.node_id ? -1 : 1;
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

export class OutboxLeases {
  readonly #claim: (owner: string, limit: number, leaseMs: number) => { rows: ClaimedRow[]; until: number };
  readonly #ack: (owner: string, ids: readonly string[]) => string[];
  readonly #nack: (owner: string, ids: readonly string[], error: string) => NackResult;
  readonly #release: (owner: string, ids: readonly string[]) => string[];
  readonly #releaseExpired: SqliteStatement<[number]>;
  readonly #releaseOwnedBy: SqliteStatement<[string, string]>;
  readonly #poison: (ids: readonly string[]) => void;
  readonly #now: () => number;

  constructor(db: SqliteDatabase, options: LeaseOptions) {
    this.#now = options.now;
    const claim = db.prepare<{ owner: string; until: number; now: number; limit: number }, ClaimedRow>(
      `UPDATE outbox SET lease_owner = @owner, lease_until = @until
       WHERE rowid IN (
         SELECT rowid FROM outbox WHERE lease_until IS NULL OR lease_until <= @now
         ORDER BY lamport, node_id, event_id LIMIT @limit)
       RETURNING event_id, lamport, node_id, data, retry_count, last_error`,
    );
    const ack = db.prepare<[string, string], string>("DELETE FROM outbox WHERE event_id = ? AND lease_owner = ? RETURNING event_id").pluck();
    const fail = db
      .prepare<[string, string, string], number>(
        `UPDATE outbox SET retry_count = retry_count + 1, last_error = ?, lease_owner = NULL, lease_until = NULL
         WHERE event_id = ? AND lease_owner = ? RETURNING retry_count`,
      )
      .pluck();
    const release = db
      .prepare<[string, string], string>(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE event_id = ? AND lease_owner = ? RETURNING event_id",
      )
      .pluck();
    this.#releaseOwnedBy = db.prepare<[string, string]>("UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE substr(lease_owner, 1, length(?)) = ?");
    this.#releaseExpired = db.prepare("UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_until IS NOT NULL AND lease_until <= ?");

    const claimTx = db.transaction((owner: string, limit: number, leaseMs: number) => {
      const now = options.now();
      const until = now + leaseMs;
      return { rows: claim.all({ owner, until, now, limit }), until };
    });
    this.#claim = (owner, limit, leaseMs) => claimTx.immediate(owner, limit, leaseMs);

    const ackTx = db.transaction((owner: string, ids: readonly string[]) =>
      ids.flatMap((id) => {
        const deleted = ack.get(id, owner);
        return deleted === undefined ? [] : [deleted];
      }),
    );
    this.#ack = (owner, ids) => ackTx.immediate(owner, ids);

    const nackTx = db.transaction((owner: string, ids: readonly string[], error: string): NackResult => {
      const retried: string[] = [];
      const dead: string[] = [];
      for (const id of new Set(ids)) {
        const failures = fail.get(error, id, owner);
        if (failures === undefined) continue;
        (failures > options.maxRetries ? dead : retried).push(id);
      }
      options.deadLetters.moveFromOutbox(dead);
      return { retried, deadLettered: dead };
    });
    this.#nack = (owner, ids, error) => nackTx.immediate(owner, ids, error);

    const releaseTx = db.transaction((owner: string, ids: readonly string[]) =>
      ids.flatMap((id) => {
        const released = release.get(id, owner);
        return released === undefined ? [] : [released];
      }),
    );
    this.#release = (owner, ids) => releaseTx.immediate(owner, ids);

    const unreadable = db.prepare<[string]>("UPDATE outbox SET last_error = 'stored JSON is unreadable' WHERE event_id = ?");
    const poisonTx = db.transaction((ids: readonly string[]) => {
      for (const id of ids) unreadable.run(id);
      options.deadLetters.moveFromOutbox(ids);
    });
    this.#poison = (ids) => poisonTx.immediate(ids);
  }

  claim(owner: string, limit: number, leaseMs: number): ClaimedEvent[] {
    if (!(limit >= 1)) return [];
    const { rows, until } = this.#claim(owner, Math.floor(limit), leaseMs);
    const claimed: ClaimedEvent[] = [];
    const unreadable: string[] = [];
    for (const row of rows.sort(byTotalOrder)) {
      try {
        claimed.push({ id: row.event_id, event: parseStored(row.data), retryCount: row.retry_count, lastError: row.last_error, leaseUntil: until });
      } catch {
        unreadable.push(row.event_id);
      }
    }
    // A row that is not JSON can never be delivered: dead-letter it rather than hand it out forever.
    if (unreadable.length > 0) this.#poison(unreadable);
    return claimed;
  }

  ack(owner: string, ids: readonly string[]): string[] {
    return ids.length === 0 ? [] : this.#ack(owner, [...new Set(ids)]);
  }

  nack(owner: string, ids: readonly string[], error: string): NackResult {
    return ids.length === 0 ? { retried: [], deadLettered: [] } : this.#nack(owner, ids, error);
  }

  release(owner: string, ids: readonly string[]): string[] {
    return ids.length === 0 ? [] : this.#release(owner, [...new Set(ids)]);
  }

  releaseExpired(): number {
    return this.#releaseExpired.run(this.#now()).changes;
  }

  /** Frees every lease whose owner id starts with `prefix` (owners known to be gone), expired or not. */
  releaseOwnedBy(prefix: string): number {
    return this.#releaseOwnedBy.run(prefix, prefix).changes;
  }
}
