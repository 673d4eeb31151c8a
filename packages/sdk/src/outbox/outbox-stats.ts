/** What `outbox.stats()` reads from queue.db: sizes, ages, retry buckets, top types and the counters. */
import type { SqliteDatabase } from "./sqlite.js";
import { COUNTERS, Counters } from "./counters.js";
import type { OutboxStats } from "./outbox.js";

/** The part of `OutboxStats` queue.db knows; the view adds memory, age and limits. */
export type StoredStats = Omit<OutboxStats, "size" | "inMemory" | "oldestAgeMs" | "storage" | "limits"> & {
  oldestCreatedAt: number | null;
};

interface Scan {
  oldest: number | null;
  leased: number | null;
  none: number | null;
  some: number | null;
  many: number | null;
}

const statements = new WeakMap<SqliteDatabase, (now: number) => StoredStats>();

function prepare(db: SqliteDatabase): (now: number) => StoredStats {
  const counters = new Counters(db);
  const scan = db.prepare<[number], Scan>(
    `SELECT MIN(created_at) AS oldest, SUM(lease_until > ?) AS leased, SUM(retry_count = 0) AS none,
            SUM(retry_count BETWEEN 1 AND 3) AS some, SUM(retry_count >= 4) AS many FROM outbox`,
  );
  const top = db.prepare<[], { eventType: string; count: number }>(
    "SELECT event_type AS eventType, COUNT(*) AS count FROM outbox GROUP BY event_type ORDER BY count DESC, event_type LIMIT 5",
  );
  const dead = db.prepare<[], number>("SELECT COUNT(*) FROM dead_letters").pluck();
  // One read transaction, so the figures agree with each other.
  const read = db.transaction((now: number): StoredStats => {
    const totals = counters.all();
    const rows = scan.get(now)!;
    return {
      rows: totals[COUNTERS.rows],
      bytes: totals[COUNTERS.bytes],
      oldestCreatedAt: rows.oldest,
      leased: rows.leased ?? 0,
      retryBuckets: { "0": rows.none ?? 0, "1-3": rows.some ?? 0, "4+": rows.many ?? 0 },
      topTypes: top.all(),
      evicted: totals[COUNTERS.evicted],
      rejectedFull: totals[COUNTERS.rejectedFull],
      deadLettered: totals[COUNTERS.deadLettered],
      deadLetters: dead.get() ?? 0,
      corruptRecovered: totals[COUNTERS.corruptRecovered],
    };
  });
  return (now) => read.deferred(now);
}

export function readStats(db: SqliteDatabase, now: number): StoredStats {
  let read = statements.get(db);
  if (read === undefined) {
    read = prepare(db);
    statements.set(db, read);
  }
  return read(now);
}
