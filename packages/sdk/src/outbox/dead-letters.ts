/**
 * Dead letters: rows that failed delivery more than `maxRetries` times, moved out
 * of the outbox so a poison event can never block the ones behind it, and kept
 * (never deleted by the SDK) until someone requeues them.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import { COUNTERS, type Counters } from "./counters.js";
import type { DeadLetter } from "./outbox.js";
import { parseStored } from "./prepared-event.js";

interface DeadRow {
  event_id: string;
  data: string;
  retry_count: number;
  last_error: string | null;
  dead_at: number;
}

export class DeadLetterTable {
  readonly #move: SqliteStatement<[number, string]>;
  readonly #removeFromOutbox: SqliteStatement<[string]>;
  readonly #list: SqliteStatement<[number], DeadRow>;
  readonly #ids: SqliteStatement<[], string>;
  readonly #requeue: SqliteStatement<[string]>;
  readonly #remove: SqliteStatement<[string]>;
  readonly #requeueMany: (ids: readonly string[] | undefined) => number;

  readonly #counters: Counters;
  readonly #now: () => number;

  constructor(db: SqliteDatabase, options: { counters: Counters; now: () => number }) {
    this.#counters = options.counters;
    this.#now = options.now;
    this.#move = db.prepare(
      `INSERT OR REPLACE INTO dead_letters (event_id, event_type, lamport, node_id, data, bytes, created_at, retry_count, last_error, dead_at)
       SELECT event_id, event_type, lamport, node_id, data, bytes, created_at, retry_count, last_error, ? FROM outbox WHERE event_id = ?`,
    );
    this.#removeFromOutbox = db.prepare("DELETE FROM outbox WHERE event_id = ?");
    this.#list = db.prepare<[number], DeadRow>(
      "SELECT event_id, data, retry_count, last_error, dead_at FROM dead_letters ORDER BY lamport, node_id, event_id LIMIT ?",
    );
    this.#ids = db.prepare<[], string>("SELECT event_id FROM dead_letters ORDER BY lamport, node_id, event_id").pluck();
    this.#requeue = db.prepare(
      `INSERT INTO outbox (event_id, event_type, lamport, node_id, data, bytes, created_at, retry_count, last_error)
       SELECT event_id, event_type, lamport, node_id, data, bytes, created_at, 0, last_error FROM dead_letters WHERE event_id = ?
       ON CONFLICT (event_id) DO NOTHING`,
    );
    this.#remove = db.prepare("DELETE FROM dead_letters WHERE event_id = ?");
    const requeue = db.transaction((ids: readonly string[] | undefined) => {
      let moved = 0;
      for (const id of ids ?? this.#ids.all()) {
        // Copy back, then remove: a row already in the outbox (re-emitted) is not doubled.
        const inserted = this.#requeue.run(id).changes;
        if (this.#remove.run(id).changes > 0 && inserted > 0) moved++;
      }
      return moved;
    });
    this.#requeueMany = (ids) => requeue.immediate(ids);
  }

  /** Moves outbox rows to the dead letters. Call it inside a write transaction. */
  moveFromOutbox(ids: readonly string[]): void {
    const deadAt = this.#now();
    let moved = 0;
    for (const id of ids) {
      if (this.#move.run(deadAt, id).changes === 0) continue;
      this.#removeFromOutbox.run(id);
      moved++;
    }
    this.#counters.add(COUNTERS.deadLettered, moved);
  }

  list(limit: number): DeadLetter[] {
    return this.#list.all(limit).map((row) => ({
      id: row.event_id,
      event: parseStored(row.data),
      retryCount: row.retry_count,
      lastError: row.last_error,
      deadAt: row.dead_at,
    }));
  }

  requeue(ids?: readonly string[]): number {
    return this.#requeueMany(ids);
  }
}
