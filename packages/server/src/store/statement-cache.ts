/**
 * The slice of better-sqlite3 kysely needs (`prepare` and `close`), with prepared
 * statements kept in a small LRU: kysely prepares every query it runs, and parsing
 * the same INSERT, BEGIN and COMMIT again on every commit is most of a small
 * transaction's cost.
 */
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** What this module uses of a better-sqlite3 Database. */
export interface PreparingDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

export function cachingDatabase(database: PreparingDatabase, capacity = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
      } else {
        cache.delete(sql);
      }
      cache.set(sql, statement);
      return statement;
    },
    close(): void {
      cache.clear();
      database.close();
    },
  };
}
