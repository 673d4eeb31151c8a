/**
 * Every number queue.db keeps, in one small key-value table: each node's Lamport
 * value (`lamport:<node_id>`), the outbox's row and byte counts (kept by triggers)
 * and the totals `stats()` reports. One table means one page: the storing
 * transaction dirties a single page for the clock bump and the counts, which is
 * most of what it costs beyond the insert itself.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";

export const COUNTERS = {
  rows: "outbox_rows",
  bytes: "outbox_bytes",
  evicted: "evicted",
  deadLettered: "dead_lettered",
  rejectedFull: "rejected_full",
  corruptRecovered: "corrupt_recovered",
} as const;

export type CounterName = (typeof COUNTERS)[keyof typeof COUNTERS];

/** The key of a node's Lamport value. */
export function clockKey(nodeId: string): string {
  return `lamport:${nodeId}`;
}

export class Counters {
  readonly #add: SqliteStatement<[number, string]>;
  readonly #read: SqliteStatement<[], { name: string; value: number }>;

  constructor(db: SqliteDatabase) {
    this.#add = db.prepare<[number, string]>("UPDATE counters SET value = value + ? WHERE name = ?");
    this.#read = db.prepare<[], { name: string; value: number }>("SELECT name, value FROM counters WHERE name NOT LIKE 'lamport:%'");
  }

  add(name: CounterName, amount = 1): void {
    if (amount !== 0) this.#add.run(amount, name);
  }

  all(): Record<CounterName, number> {
    const values = Object.fromEntries(Object.values(COUNTERS).map((name) => [name, 0])) as Record<CounterName, number>;
    for (const row of this.#read.all()) if (row.name in values) values[row.name as CounterName] = row.value;
    return values;
  }
}
