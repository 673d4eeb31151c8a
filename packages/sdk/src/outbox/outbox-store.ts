/**
 * queue.db's write path: one `BEGIN IMMEDIATE` transaction bumps the node's Lamport
 * clock, inserts the row and applies the cap. IMMEDIATE takes the write lock up
 * front, so concurrent processes queue on the busy timeout instead of deadlocking
 * on a lock upgrade; when it commits, the event is on disk. Statements are prepared
 * once. Throws what SQLite throws; the durable layer above turns that into memory
 * fallback and warnings.
 */
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import { LamportClock } from "../clock/lamport-clock.js";
import type { ConfigCache } from "../identity/project-config.js";
import { OutboxCap, type CapLimits } from "./cap.js";
import { COUNTERS, Counters } from "./counters.js";
import { DeadLetterTable } from "./dead-letters.js";
import { OutboxLeases } from "./outbox-leases.js";
import { readStats, type StoredStats } from "./outbox-stats.js";
import { parseStored, serialise, type PreparedEvent } from "./prepared-event.js";
import type { PurgeResult, QueuedEvent } from "./outbox.js";

export interface OutboxStoreOptions extends CapLimits {
  maxRetries: number;
  now: () => number;
}

export type AppendOutcome =
  | { status: "stored"; clock: number; evicted: number }
  | { status: "duplicate"; clock: number; data: string }
  | { status: "rejected" };

class Duplicate extends Error {}
class Rejected extends Error {}

export class OutboxStore {
  readonly clock: LamportClock;
  readonly cap: OutboxCap;
  readonly #counters: Counters;
  #leases: OutboxLeases | undefined;
  #deadLetters: DeadLetterTable | undefined;
  readonly #insert: SqliteStatement<[string, string, number, string, string, number, number]>;
  readonly #existing: SqliteStatement<[string], { lamport: number; data: string }>;
  readonly #rowCount: SqliteStatement<[], number>;
  readonly #cacheGet: SqliteStatement<[string], string>;
  readonly #cacheSet: SqliteStatement<[string, string]>;
  readonly #store: (event: PreparedEvent, force: boolean) => AppendOutcome;
  readonly #storeMany: (events: readonly PreparedEvent[]) => AppendOutcome[];

  constructor(
    readonly db: SqliteDatabase,
    readonly options: OutboxStoreOptions,
  ) {
    const counters = new Counters(db);
    this.#counters = counters;
    this.clock = new LamportClock(db);
    this.cap = new OutboxCap(db, options, counters);
    this.#insert = db.prepare(
      "INSERT INTO outbox (event_id, event_type, lamport, node_id, data, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
    );
    this.#existing = db.prepare<[string], { lamport: number; data: string }>("SELECT lamport, data FROM outbox WHERE event_id = ?");
    this.#rowCount = db.prepare<[], number>(`SELECT value FROM counters WHERE name = '${COUNTERS.rows}'`).pluck();
    this.#cacheGet = db.prepare<[string], string>("SELECT value FROM config_cache WHERE key = ?").pluck();
    this.#cacheSet = db.prepare<[string, string]>("INSERT OR REPLACE INTO config_cache (key, value) VALUES (?, ?)");
    const storeOne = (event: PreparedEvent, force: boolean): AppendOutcome => {
      const clock = this.clock.tick(event.nodeId);
      const { data, bytes } = serialise(event, clock);
      const inserted = this.#insert.run(event.eventId, event.eventType, clock, event.nodeId, data, bytes, options.now());
      if (inserted.changes === 0) throw new Duplicate();
      if (!this.cap.over()) return { status: "stored", clock, evicted: 0 };
      if (options.policy === "reject-new" && !force) throw new Rejected();
      return { status: "stored", clock, evicted: this.cap.evict(event.eventId) };
    };
    const store = db.transaction(storeOne);
    this.#store = (event, force) => store.immediate(event, force);
    const storeMany = db.transaction((events: readonly PreparedEvent[]) =>
      events.map((event) => {
        const existing = this.#existing.get(event.eventId);
        if (existing !== undefined) return { status: "duplicate" as const, clock: existing.lamport, data: existing.data };
        return storeOne(event, true);
      }),
    );
    this.#storeMany = (events) => storeMany.immediate(events);
  }

  /** Stores one event durably: clock bump, insert and cap in one IMMEDIATE transaction. */
  append(event: PreparedEvent): AppendOutcome {
    try {
      return this.#store(event, false);
    } catch (error) {
      if (error instanceof Duplicate) {
        const existing = this.#existing.get(event.eventId)!;
        return { status: "duplicate", clock: existing.lamport, data: existing.data };
      }
      if (error instanceof Rejected) {
        this.cap.countRejected();
        return { status: "rejected" };
      }
      throw error;
    }
  }

  /** Stores events that waited in memory, in order, in one transaction; the cap evicts but never rejects them. */
  appendMany(events: readonly PreparedEvent[]): AppendOutcome[] {
    return events.length === 0 ? [] : this.#storeMany(events);
  }

  // The sync side's statements are prepared on first use: a host that only emits never pays for them.
  get deadLetters(): DeadLetterTable {
    this.#deadLetters ??= new DeadLetterTable(this.db, { counters: this.#counters, now: this.options.now });
    return this.#deadLetters;
  }

  get leases(): OutboxLeases {
    this.#leases ??= new OutboxLeases(this.db, { ...this.options, deadLetters: this.deadLetters });
    return this.#leases;
  }

  /** Waiting rows in Lamport order, without leasing them. */
  list(limit: number): QueuedEvent[] {
    const now = this.options.now();
    return this.db
      .prepare<[number], { event_id: string; data: string; retry_count: number; last_error: string | null; lease_until: number | null }>(
        "SELECT event_id, data, retry_count, last_error, lease_until FROM outbox ORDER BY lamport LIMIT ?",
      )
      .all(limit)
      .map((row) => ({
        id: row.event_id,
        event: parseStored(row.data),
        retryCount: row.retry_count,
        lastError: row.last_error,
        leased: row.lease_until !== null && row.lease_until > now,
      }));
  }

  /** Deletes every waiting row (the triggers keep the counters right), and the dead letters when asked. */
  purge(deadLetters: boolean): PurgeResult {
    return this.db.transaction(() => ({
      outbox: this.db.prepare("DELETE FROM outbox").run().changes,
      deadLetters: deadLetters ? this.db.prepare("DELETE FROM dead_letters").run().changes : 0,
    })).immediate();
  }

  rowCount(): number {
    return this.#rowCount.get() ?? 0;
  }

  stats(): StoredStats {
    return readStats(this.db, this.options.now());
  }

  readonly configCache: ConfigCache = {
    get: (key) => this.#cacheGet.get(key),
    set: (key, value) => void this.#cacheSet.run(key, value),
  };

  close(): void {
    if (this.db.open) this.db.close();
  }
}
