/**
 * The tables of queue.db. One file holds the outbox, its dead letters, the Lamport
 * clock and a few counters, so that a clock bump and the row it stamps commit in one
 * transaction. Row and byte counts are kept by triggers, so the cap check on the hot
 * path is one primary-key read instead of a scan, and no path can forget them.
 */
import type Database from "better-sqlite3";
import { EventsSdkError } from "../errors.js";

/** Bumped whenever the tables change; stored in `PRAGMA user_version`. */
export const STORAGE_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS clock (
  node_id TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

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

CREATE TABLE IF NOT EXISTS outbox_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  row_count INTEGER NOT NULL DEFAULT 0,
  byte_count INTEGER NOT NULL DEFAULT 0,
  evicted INTEGER NOT NULL DEFAULT 0,
  dead_lettered INTEGER NOT NULL DEFAULT 0,
  rejected_full INTEGER NOT NULL DEFAULT 0,
  corrupt_recovered INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO outbox_meta (id) VALUES (1);

CREATE TRIGGER IF NOT EXISTS outbox_count_insert AFTER INSERT ON outbox BEGIN
  UPDATE outbox_meta SET row_count = row_count + 1, byte_count = byte_count + NEW.bytes WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS outbox_count_delete AFTER DELETE ON outbox BEGIN
  UPDATE outbox_meta SET row_count = row_count - 1, byte_count = byte_count - OLD.bytes WHERE id = 1;
END;

CREATE TABLE IF NOT EXISTS config_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Creates or checks the tables. Concurrent first runs are safe: the DDL is idempotent and runs under the write lock. */
export function migrate(db: Database.Database): void {
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
