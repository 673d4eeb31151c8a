/** Reading queue.db directly, the way a test checks what really reached the disk. */
import Database from "better-sqlite3";
import { join } from "node:path";

export interface StoredRow {
  event_id: string;
  lamport: number;
  node_id: string;
  data: string;
}

export function readOutbox(home: string): StoredRow[] {
  const db = new Database(join(home, "queue.db"), { readonly: true });
  try {
    return db.prepare<[], StoredRow>("SELECT event_id, lamport, node_id, data FROM outbox ORDER BY lamport").all();
  } finally {
    db.close();
  }
}

export function readCounter(home: string, name: string): number {
  const db = new Database(join(home, "queue.db"), { readonly: true });
  try {
    return db.prepare<[string], number>("SELECT value FROM counters WHERE name = ?").pluck().get(name) ?? 0;
  } finally {
    db.close();
  }
}
