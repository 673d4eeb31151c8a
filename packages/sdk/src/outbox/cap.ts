/**
 * The outbox cap: at most `maxRows` rows and `maxBytes` bytes of event JSON. The
 * policy is explicit and counted: `evict-oldest` deletes the oldest rows (lowest
 * Lamport value) and adds them to `evicted`; `reject-new` refuses the new event and
 * adds it to `rejected_full`. The event being stored is never the one evicted.
 * A single event larger than `maxBytes` is still kept: the cap never empties the outbox.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import type { CapPolicy } from "../options.js";
import { COUNTERS, type Counters } from "./counters.js";

export interface CapLimits {
  maxRows: number;
  maxBytes: number;
  policy: CapPolicy;
}

interface Counts {
  row_count: number;
  byte_count: number;
}

export class OutboxCap {
  readonly #counts: SqliteStatement<[], Counts>;
  readonly #evictOldest: SqliteStatement<[string, number]>;
  readonly #counters: Counters;

  constructor(
    db: SqliteDatabase,
    readonly limits: CapLimits,
    counters: Counters,
  ) {
    this.#counters = counters;
    this.#counts = db.prepare<[], Counts>(
      `SELECT (SELECT value FROM counters WHERE name = '${COUNTERS.rows}') AS row_count,
              (SELECT value FROM counters WHERE name = '${COUNTERS.bytes}') AS byte_count`,
    );
    this.#evictOldest = db.prepare<[string, number]>(
      "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE event_id != ? ORDER BY lamport, node_id, event_id LIMIT ?)",
    );
  }

  /** Whether the outbox is over its cap now. Inside the storing transaction, after the insert. */
  over(): boolean {
    const counts = this.#counts.get()!;
    return counts.row_count > this.limits.maxRows || counts.byte_count > this.limits.maxBytes;
  }

  /** Evicts the oldest rows, except `keep`, until the outbox fits; returns how many went. */
  evict(keep: string): number {
    let evicted = 0;
    for (;;) {
      const { row_count: rows, byte_count: bytes } = this.#counts.get()!;
      if ((rows <= this.limits.maxRows && bytes <= this.limits.maxBytes) || rows <= 1) break;
      const average = bytes / rows;
      const forBytes = bytes > this.limits.maxBytes ? Math.floor((bytes - this.limits.maxBytes) / average) : 0;
      const removed = this.#evictOldest.run(keep, Math.max(1, rows - this.limits.maxRows, forBytes)).changes;
      if (removed === 0) break;
      evicted += removed;
    }
    this.#counters.add(COUNTERS.evicted, evicted);
    return evicted;
  }

  /** Counts an emit refused by `reject-new`, outside the rolled-back transaction. */
  countRejected(): void {
    this.#counters.add(COUNTERS.rejectedFull);
  }
}
