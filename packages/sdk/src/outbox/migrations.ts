/**
 * The tables of queue.db. One file holds the outbox, its dead letters, the Lamport
 * clock and the counters, so that a clock bump and the row it stamps commit in one
 * transaction. Row and byte counts are kept by triggers, so the cap check on the hot
 * path is a primary-key read instead of a scan, and no path can forget them.
 */
import type { SqliteDatabase } from "./sqlite.js";
import { EventsSdkError } from "../errors.js";

/** Bumped whenever the tables change; stored in `PRAGMA user_version`. */
export const STORAGE_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES
  ('outbox_rows', 0), ('outbox_bytes', 0), ('evicted', 0), ('dead_lettered', 0), ('rejected_full', 0), ('corrupt_recovered', 0);

CREATE TABLE IF NOT EXISTS outbox (
  event_id TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL,
  lamport INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  data TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  retry_count INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_by_lamport ON outbox (lamport);

CREATE TABLE IF NOT EXISTS dead_letters (
  event_id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  lamport INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  data TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  retry_count INTEGER NOT NULL,
  last_error TEXT,
  dead_at INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS outbox_count_insert AFTER INSERT ON outbox BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'outbox_rows';
  UPDATE counters SET value = value + NEW.bytes WHERE name = 'outbox_bytes';
END;
CREATE TRIGGER IF NOT EXISTS outbox_count_delete AFTER DELETE ON outbox BEGIN
  UPDATE counters SET value = value - 1 WHERE name = 'outbox_rows';
  UPDATE counters SET value = value - OLD.bytes WHERE name = 'outbox_bytes';
END;

CREATE TABLE IF NOT EXISTS config_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Creates or checks the tables. Concurrent first runs are safe: the DDL is idempotent and runs under the write lock. */
export function migrate(db: SqliteDatabase): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version === STORAGE_VERSION) return;
  if (version > STORAGE_VERSION) {
    throw new EventsSdkError(
      "storage_unavailable",
      `queue.db has storage version ${version}, newer than this @events/sdk understands (${STORAGE_VERSION}); upgrade @events/sdk`,
    );
  }
  db.transaction(() => {
    db.exec(DDL);
    db.pragma(`user_version = ${STORAGE_VERSION}`);
  }).immediate();
}
