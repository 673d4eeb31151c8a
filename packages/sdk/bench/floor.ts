/**
 * The floor the SDK is measured against: raw better-sqlite3 doing the transaction
 * every durable emit needs (BEGIN IMMEDIATE, bump the clock, insert the row, COMMIT)
 * into an outbox table with the same columns and indexes and the same pragmas, with
 * the event already serialised. What the SDK adds on top (validation, identity,
 * serialising, the cap and its counters) is the difference.
 */
import Database from "better-sqlite3";
import { join } from "node:path";

export const FLOOR_DDL = `
CREATE TABLE IF NOT EXISTS clock (node_id TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, lamport INTEGER NOT NULL, node_id TEXT NOT NULL,
  data TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, retry_count INTEGER NOT NULL DEFAULT 0,
  last_error TEXT, lease_owner TEXT, lease_until INTEGER);
CREATE INDEX IF NOT EXISTS outbox_by_lamport ON outbox (lamport);
`;

/** The pragmas the SDK sets on queue.db. */
export const FLOOR_PRAGMAS = ["journal_mode = WAL", "synchronous = NORMAL", "wal_autocheckpoint = 4000", "cache_size = -2048"];
export const FLOOR_BUMP = "INSERT INTO clock (node_id, value) VALUES (?, 1) ON CONFLICT (node_id) DO UPDATE SET value = value + 1 RETURNING value";
export const FLOOR_INSERT = "INSERT INTO outbox (event_id, event_type, lamport, node_id, data, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

export interface Floor {
  /** One durable write: clock bump and insert in one IMMEDIATE transaction. */
  write(eventId: string): number;
  close(): void;
}

export function openFloor(dir: string, data: string): Floor {
  const db = new Database(join(dir, "floor.db"), { timeout: 5_000 });
  for (const pragma of FLOOR_PRAGMAS) db.pragma(pragma);
  db.exec(FLOOR_DDL);
  const bump = db.prepare<[string], number>(FLOOR_BUMP).pluck();
  const insert = db.prepare(FLOOR_INSERT);
  const bytes = Buffer.byteLength(data);
  const write = db.transaction((eventId: string) => {
    const clock = bump.get("floor")!;
    insert.run(eventId, "WPStatusChanged", clock, "floor", data, bytes, Date.now());
    return clock;
  });
  return { write: (eventId) => write.immediate(eventId), close: () => db.close() };
}

/** The same floor as JavaScript source, for child processes that run plain node. */
export function floorSource(): string {
  return `
    const { default: Database } = await import("better-sqlite3");
    const { join } = await import("node:path");
    const openFloor = (dir, data) => {
      const db = new Database(join(dir, "floor.db"), { timeout: 5000 });
      for (const pragma of ${JSON.stringify(FLOOR_PRAGMAS)}) db.pragma(pragma);
      db.exec(${JSON.stringify(FLOOR_DDL)});
      const bump = db.prepare(${JSON.stringify(FLOOR_BUMP)}).pluck();
      const insert = db.prepare(${JSON.stringify(FLOOR_INSERT)});
      const bytes = Buffer.byteLength(data);
      const write = db.transaction((eventId) => { const clock = bump.get("floor"); insert.run(eventId, "WPStatusChanged", clock, "floor", data, bytes, Date.now()); return clock; });
      return { write: (eventId) => write.immediate(eventId), close: () => db.close() };
    };`;
}
