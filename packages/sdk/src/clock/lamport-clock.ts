/**
 * The Lamport clock of a node, kept in queue.db's `counters` table (one row per node)
 * so that the bump and the event it stamps commit together: values are unique and
 * increasing across every process writing to the same home. The rules:
 *
 * - emit:       value := value + 1, and the event carries the new value;
 * - observe(r): value := max(value, r), so the next emit carries max(value, r) + 1 > r;
 * - reset(v):   value := v (for `events clock reset`; it gives up monotonicity on purpose).
 */
import type { SqliteDatabase, SqliteStatement } from "../outbox/sqlite.js";
import { clockKey } from "../outbox/counters.js";

export interface ClockState {
  /** The last value issued (or observed); the next emit carries `value + 1`. */
  value: number;
  nodeId: string;
}

const TICK_SQL =
  "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value";

export class LamportClock {
  readonly #tick: SqliteStatement<[string], number>;
  readonly #read: SqliteStatement<[string], number>;
  readonly #observe: SqliteStatement<[string, number], number>;
  readonly #reset: SqliteStatement<[string, number], number>;

  constructor(db: SqliteDatabase) {
    this.#tick = db.prepare<[string], number>(TICK_SQL).pluck();
    this.#read = db.prepare<[string], number>("SELECT value FROM counters WHERE name = ?").pluck();
    this.#observe = db
      .prepare<[string, number], number>(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value) RETURNING value",
      )
      .pluck();
    this.#reset = db
      .prepare<[string, number], number>(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value RETURNING value",
      )
      .pluck();
  }

  /** The next value for `nodeId`. Call it inside the write transaction that stores the event. */
  tick(nodeId: string): number {
    return this.#tick.get(clockKey(nodeId))!;
  }

  read(nodeId: string): number {
    return this.#read.get(clockKey(nodeId)) ?? 0;
  }

  observe(nodeId: string, remote: number): number {
    return this.#observe.get(clockKey(nodeId), remote)!;
  }

  reset(nodeId: string, value: number): number {
    return this.#reset.get(clockKey(nodeId), value)!;
  }
}

/** Whether `value` can be a clock value: a non-negative safe integer. */
export function isClockValue(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
