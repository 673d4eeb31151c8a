/**
 * The outbox cap: at most `maxRows` rows and `maxBytes` bytes of event JSON. The
 * policy is explicit and counted: `evict-oldest` deletes the oldest rows (lowest
 * Lamport value) and adds them to `evicted`; `reject-new` refuses the new event and
 * adds it to `rejected_full`. The event being stored is never the one evicted.
 */
import type Database from "better-sqlite3";
import type { CapPolicy } from "../options.js";

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
  readonly #counts: Database.Statement<[], Counts>;
  readonly #evictOldest: Database.Statement<[string, number]>;
  readonly #addEvicted: Database.Statement<[number]>;
  readonly #addRejected: Database.Statement<[]>;

  constructor(
    db: Database.Database,
    readonly limits: CapLimits,
  ) {
    this.#counts = db.prepare<[], Counts>("SELECT row_count, byte_count FROM outbox_meta WHERE id = 1");
    this.#evictOldest = db.prepare<[string, number]>(
      "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE event_id != ? ORDER BY lamport, node_id, event_id LIMIT ?)",
    );
    this.#addEvicted = db.prepare<[number]>("UPDATE outbox_meta SET evicted = evicted + ? WHERE id = 1");
    this.#addRejected = db.prepare<[]>("UPDATE outbox_meta SET rejected_full = rejected_full + 1 WHERE id = 1");
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
    if (evicted > 0) this.#addEvicted.run(evicted);
    return evicted;
  }

  /** Counts an emit refused by `reject-new`, outside the rolled-back transaction. */
  countRejected(): void {
    this.#addRejected.run();
  }
}
