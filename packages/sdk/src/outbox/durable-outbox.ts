/**
 * The outbox as the emitter and the sync client use it, over queue.db with a
 * memory fallback. Its write path never throws: when queue.db cannot take an event
 * (full disk, read-only home, a corrupt or moved file), the event waits in memory,
 * one warning per kind of failure is printed, and the disk is tried again after
 * `retryIntervalMs`, then the waiting events are written first, in order. Events
 * still in memory at close are returned, for the caller to report.
 */
import type { Envelope } from "@events/schema";
import { statSync } from "node:fs";
import { EventsSdkError, rawCodeOf, toSdkError } from "../errors.js";
import { newEventId } from "../ids.js";
import { debug } from "../logger.js";
import type { ResolvedOptions } from "../options.js";
import { MemoryBuffer } from "./memory-buffer.js";
import { openDatabase } from "./open-database.js";
import { OutboxStore } from "./outbox-store.js";
import type { PreparedEvent } from "./prepared-event.js";

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** How often a burst of emits checks that queue.db was not deleted or replaced. */
const MOVED_CHECK_MS = 100;

export type StoreResult =
  | { ok: true; clock: number; durable: boolean; duplicate: boolean; stored?: string }
  | { ok: false; reason: "queue_full" | "unavailable" | "closed"; message: string };

export type WarnOnce = (key: string, message: string) => void;

export class DurableOutbox {
  /** This outbox's lease owner id: leases it takes carry it. */
  readonly owner: string;
  readonly #options: ResolvedOptions;
  readonly #warn: WarnOnce;
  readonly #memory: MemoryBuffer;
  #store: OutboxStore | undefined;
  /** The inode queue.db had when it was opened, and when that was last checked. */
  #inode: number | undefined;
  #checkedAt = 0;
  #retryAt = 0;
  #lastFailure: EventsSdkError | undefined;
  #memoryClock = 0;
  #closed = false;

  constructor(options: ResolvedOptions, warn: WarnOnce) {
    this.#options = options;
    this.owner = `${options.leaseOwnerPrefix}${newEventId()}`;
    this.#warn = warn;
    this.#memory = new MemoryBuffer(options.maxMemoryEvents);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #open(force = false): OutboxStore | undefined {
    if (this.#closed) return undefined;
    if (this.#store !== undefined) {
      if (this.#stillInPlace()) return this.#store;
      // Deleted or replaced under us (`rm -rf ~/.events`): SQLite in WAL mode would go on
      // writing to the unlinked file and the events would be lost, so open the path again.
      this.#warn("moved", `${this.#options.databasePath} was removed or replaced while in use; opening it again`);
      this.#closeStore();
      force = true;
    }
    if (!force && this.#options.now() < this.#retryAt) return undefined;
    const path = this.#options.databasePath;
    try {
      const opened = openDatabase({ path, busyTimeoutMs: this.#options.busyTimeoutMs, maxPages: this.#options.maxDatabasePages });
      this.#inode = inodeOf(path);
      this.#checkedAt = this.#options.now();
      this.#store = new OutboxStore(opened.db, {
        maxRows: this.#options.maxRows,
        maxBytes: this.#options.maxBytes,
        policy: this.#options.capPolicy,
        maxRetries: this.#options.maxRetries,
        now: this.#options.now,
      });
      if (opened.movedAside !== undefined) {
        this.#warn("corrupt", `${path} was not a usable database; moved it to ${opened.movedAside} and started a new outbox`);
      }
      this.#lastFailure = undefined;
      return this.#store;
    } catch (error) {
      this.#failed(error, true);
      return undefined;
    }
  }

  /**
   * Whether queue.db is still the file that was opened. A stat costs a few percent of
   * an emit, so a burst checks at most every MOVED_CHECK_MS; an idle host, every time.
   */
  #stillInPlace(): boolean {
    const now = this.#options.now();
    if (now - this.#checkedAt < MOVED_CHECK_MS) return true;
    this.#checkedAt = now;
    return inodeOf(this.#options.databasePath) === this.#inode;
  }

  #failed(error: unknown, whileOpening = false): EventsSdkError {
    const failure = toSdkError(error);
    this.#lastFailure = failure;
    this.#closeStore();
    // A file moved or damaged under an open connection: reopen at once (a new file, or recovery).
    const reopenNow = !whileOpening && (failure.code === "storage_corrupt" || rawCodeOf(failure) === "SQLITE_READONLY_DBMOVED");
    this.#retryAt = reopenNow ? 0 : this.#options.now() + this.#options.retryIntervalMs;
    this.#warn(
      failure.code,
      `${this.#options.databasePath} cannot take events (${failure.message}); new events wait in memory and are written when it can`,
    );
    return failure;
  }

  #closeStore(): void {
    try {
      this.#store?.close();
    } catch {
      // Closing a broken connection may fail too; it is dropped either way.
    }
    this.#store = undefined;
    this.#inode = undefined;
  }

  /** Writes the events waiting in memory, if the disk takes them; returns the store when it is usable. */
  #drain(force: boolean): OutboxStore | undefined {
    const store = this.#open(force);
    if (store === undefined || this.#memory.size === 0) return store;
    try {
      const events = this.#memory.events();
      const outcomes = store.appendMany(events);
      this.#memory.remove(events.map((event) => event.eventId));
      for (const outcome of outcomes) if (outcome.status !== "rejected") this.#memoryClock = Math.max(this.#memoryClock, outcome.clock);
      if (this.#options.debug) debug(`wrote ${events.length} events that waited in memory to ${this.#options.databasePath}`);
      return store;
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  /** Stores one event, on disk if it can, else in memory. Never throws. */
  append(event: PreparedEvent): StoreResult {
    if (this.#closed) return { ok: false, reason: "closed", message: "the emitter is closed" };
    // After a failure, writes wait for the retry interval even if a read reopened queue.db meanwhile.
    const store = this.#options.now() < this.#retryAt ? undefined : this.#memory.size > 0 ? this.#drain(false) : this.#open();
    if (store !== undefined && this.#memory.size === 0) {
      try {
        const outcome = store.append(event);
        switch (outcome.status) {
          case "stored":
            this.#memoryClock = Math.max(this.#memoryClock, outcome.clock);
            if (outcome.evicted > 0) {
              this.#warn("evicted", `the outbox reached its cap (${this.#options.maxRows} rows or ${this.#options.maxBytes} bytes); evicting the oldest events, counted in outbox.stats().evicted`);
            }
            return { ok: true, clock: outcome.clock, durable: true, duplicate: false };
          case "duplicate":
            return { ok: true, clock: outcome.clock, durable: true, duplicate: true, stored: outcome.data };
          case "rejected": {
            const message = `the outbox is at its cap (${this.#options.maxRows} rows or ${this.#options.maxBytes} bytes) and capPolicy is reject-new`;
            this.#warn("queue_full", `${message}; new events are refused until it drains`);
            return { ok: false, reason: "queue_full", message };
          }
        }
      } catch (error) {
        this.#failed(error);
      }
    }
    return this.#hold(event);
  }

  #hold(event: PreparedEvent): StoreResult {
    const held = this.#memory.held(event.eventId);
    if (held !== undefined) return { ok: true, clock: held.clock, durable: false, duplicate: true, stored: held.data };
    if (this.#memory.full) {
      const message = `queue.db cannot take events and ${this.#memory.limit} already wait in memory (maxMemoryEvents)`;
      this.#warn("memory_full", `${message}; further events are refused until the disk takes them`);
      return { ok: false, reason: "unavailable", message };
    }
    this.#memoryClock += 1;
    this.#memory.add(event, this.#memoryClock);
    return { ok: true, clock: this.#memoryClock, durable: false, duplicate: false };
  }

  /** Tries now to write the events waiting in memory; returns how many still wait. */
  flush(): number {
    if (!this.#closed && this.#memory.size > 0) this.#drain(true);
    return this.#memory.size;
  }

  /** Flushes, closes queue.db and returns the events that could not be written. */
  close(): Envelope[] {
    if (this.#closed) return [];
    this.flush();
    const unsent = this.#memory.envelopes();
    this.#closeStore();
    this.#closed = true;
    return unsent;
  }

  /** The provisional clock: the highest value issued, stored or observed in this process. */
  get provisionalClock(): number {
    return this.#memoryClock;
  }

  set provisionalClock(value: number) {
    this.#memoryClock = value;
  }

  /**
   * Runs a sync-side operation on queue.db: waiting events are written first, a
   * storage failure is recorded (and warned about) and thrown as EventsSdkError.
   */
  use<T>(operation: (store: OutboxStore) => T): T {
    if (this.#closed) throw new EventsSdkError("closed", "the emitter is closed");
    if (this.#memory.size > 0) this.#drain(true);
    const store = this.#open(true);
    if (store === undefined) {
      throw this.#lastFailure ?? new EventsSdkError("storage_unavailable", `${this.#options.databasePath} cannot be opened`);
    }
    try {
      return operation(store);
    } catch (error) {
      throw this.#failed(error);
    }
  }

  /** Reads from queue.db if it can be opened now; never throws (a failure is recorded and warned about). */
  peek<T>(operation: (store: OutboxStore) => T): T | undefined {
    const store = this.#closed ? undefined : this.#open(true);
    if (store === undefined) return undefined;
    try {
      return operation(store);
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  get inMemory(): number {
    return this.#memory.size;
  }

  get limits(): { maxRows: number; maxBytes: number; maxRetries: number; leaseMs: number } {
    const { maxRows, maxBytes, maxRetries, leaseMs } = this.#options;
    return { maxRows, maxBytes, maxRetries, leaseMs };
  }
}
