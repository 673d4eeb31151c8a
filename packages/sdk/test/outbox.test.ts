import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEmitter, type Emitter } from "../src/index.js";
import { captureLog } from "./helpers/capture-log.js";
import { siblingEmitter, testEmitter } from "./helpers/emitters.js";
import { PAYLOADS, statusChange } from "./helpers/payloads.js";
import { readCounter, readOutbox } from "./helpers/queue-db.js";

function emitMany(emitter: Emitter, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const result = emitter.emitWpStatusChanged(statusChange(i));
    if (!result.ok) throw new Error(result.message);
    return result.event.event_id;
  });
}

describe("claim and leases", () => {
  it("claims the oldest unleased rows in Lamport order, and a second syncer gets the next ones", () => {
    const emitter = testEmitter();
    const ids = emitMany(emitter, 5);
    const other = siblingEmitter(emitter);
    const first = emitter.outbox.claim(3);
    expect(first.map((row) => row.id)).toEqual(ids.slice(0, 3));
    expect(first.map((row) => row.event.lamport_clock)).toEqual([1, 2, 3]);
    expect(first[0]).toMatchObject({ retryCount: 0, lastError: null });
    expect(other.outbox.claim(10).map((row) => row.id)).toEqual(ids.slice(3));
    expect(emitter.outbox.claim(10)).toEqual([]);
  });

  it("hands a dead syncer's rows to another once its lease expires, and not before", () => {
    let now = 1_000_000;
    const emitter = testEmitter({ now: () => now, leaseMs: 30_000 });
    const ids = emitMany(emitter, 2);
    const other = siblingEmitter(emitter, { now: () => now });
    expect(emitter.outbox.claim(10)).toHaveLength(2);
    now += 29_999;
    expect(other.outbox.claim(10)).toEqual([]);
    now += 1;
    expect(other.outbox.claim(10).map((row) => row.id)).toEqual(ids);
    // The first syncer's lease is gone: its late ack touches nothing.
    expect(emitter.outbox.ack(ids)).toEqual([]);
    expect(other.outbox.ack(ids)).toEqual(ids);
  });

  it("releaseExpired frees expired leases at once; release gives rows back without a failure", () => {
    let now = 1_000_000;
    const emitter = testEmitter({ now: () => now });
    emitMany(emitter, 3);
    const claimed = emitter.outbox.claim(2, { leaseMs: 10 });
    expect(emitter.outbox.releaseExpired()).toBe(0);
    now += 10;
    expect(emitter.outbox.releaseExpired()).toBe(2);
    const again = emitter.outbox.claim(3);
    expect(again.map((row) => row.id).slice(0, 2)).toEqual(claimed.map((row) => row.id));
    expect(emitter.outbox.release([again[0]!.id, "01M7XQR0Z1TP2C7MAE1QVWKMSX"])).toEqual([again[0]!.id]);
    expect(emitter.outbox.claim(1)[0]).toMatchObject({ id: again[0]!.id, retryCount: 0 });
  });

  it("acks delete only rows this outbox leased", () => {
    const emitter = testEmitter();
    const ids = emitMany(emitter, 3);
    const other = siblingEmitter(emitter);
    expect(emitter.outbox.ack(ids)).toEqual([]);
    emitter.outbox.claim(2);
    expect(other.outbox.ack(ids)).toEqual([]);
    expect(emitter.outbox.ack([...ids, ids[0]!])).toEqual(ids.slice(0, 2));
    expect(emitter.outbox.size()).toBe(1);
  });
});

describe("nack and dead letters", () => {
  it("counts failures, then moves a row that failed more than maxRetries times to the dead letters", () => {
    const emitter = testEmitter({ maxRetries: 2 });
    const [poison, fine] = emitMany(emitter, 2);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const claimed = emitter.outbox.claim(1);
      expect(claimed[0]).toMatchObject({ id: poison, retryCount: attempt - 1 });
      expect(emitter.outbox.nack([poison!], `rejected ${attempt}`)).toEqual({ retried: [poison], deadLettered: [] });
    }
    expect(emitter.outbox.claim(1)[0]).toMatchObject({ id: poison, retryCount: 2, lastError: "rejected 2" });
    expect(emitter.outbox.nack([poison!], "rejected 3")).toEqual({ retried: [], deadLettered: [poison] });
    // The poison row no longer blocks the head of the queue.
    expect(emitter.outbox.claim(1).map((row) => row.id)).toEqual([fine]);
    const dead = emitter.outbox.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: poison, retryCount: 3, lastError: "rejected 3" });
    expect(dead[0]!.event.event_id).toBe(poison);
    expect(emitter.outbox.stats()).toMatchObject({ rows: 1, deadLetters: 1, deadLettered: 1 });
  });

  it("requeues dead letters with a fresh retry count", () => {
    const emitter = testEmitter({ maxRetries: 0 });
    const ids = emitMany(emitter, 2);
    emitter.outbox.claim(2);
    expect(emitter.outbox.nack(ids, "bad").deadLettered).toEqual(ids);
    expect(emitter.outbox.size()).toBe(0);
    expect(emitter.outbox.requeueDeadLetters([ids[1]!])).toBe(1);
    expect(emitter.outbox.requeueDeadLetters()).toBe(1);
    expect(emitter.outbox.deadLetters()).toEqual([]);
    expect(emitter.outbox.claim(5).map((row) => [row.id, row.retryCount])).toEqual([
      [ids[0], 0],
      [ids[1], 0],
    ]);
    expect(emitter.outbox.stats().deadLettered).toBe(2);
  });

  it("dead-letters a row whose stored JSON cannot be read instead of handing it out forever", () => {
    const emitter = testEmitter();
    const [broken, fine] = emitMany(emitter, 2);
    const db = new Database(join(emitter.paths.home, "queue.db"));
    db.prepare("UPDATE outbox SET data = '{not json' WHERE event_id = ?").run(broken);
    db.close();
    expect(emitter.outbox.claim(5).map((row) => row.id)).toEqual([fine]);
    expect(emitter.outbox.stats()).toMatchObject({ deadLetters: 1, deadLettered: 1 });
  });
});

describe("stats", () => {
  it("reports size, bytes, age, leases, retry buckets and top types", () => {
    let now = 5_000_000;
    const emitter = testEmitter({ now: () => now, maxRetries: 10 });
    const ids = emitMany(emitter, 4);
    emitter.emitFeatureCreated(PAYLOADS.FeatureCreated);
    now += 1_500;
    emitter.outbox.claim(2);
    emitter.outbox.nack([ids[0]!, ids[1]!], "x");
    for (let i = 0; i < 3; i++) {
      emitter.outbox.claim(2);
      emitter.outbox.nack([ids[1]!], "y");
      emitter.outbox.release([ids[0]!]);
    }
    emitter.outbox.claim(1);
    const stats = emitter.outbox.stats();
    const bytes = readOutbox(emitter.paths.home).reduce((sum, row) => sum + Buffer.byteLength(row.data), 0);
    expect(stats).toMatchObject({
      size: 5,
      rows: 5,
      bytes,
      inMemory: 0,
      oldestAgeMs: 1_500,
      leased: 1,
      retryBuckets: { "0": 3, "1-3": 1, "4+": 1 },
      topTypes: [
        { eventType: "WPStatusChanged", count: 4 },
        { eventType: "FeatureCreated", count: 1 },
      ],
      evicted: 0,
      storage: "disk",
      limits: { maxRows: 100_000, maxBytes: 104_857_600, maxRetries: 10 },
    });
  });
});

describe("cap", () => {
  it("evicts the oldest rows past maxRows, counts them, and warns once", () => {
    const log = captureLog();
    const emitter = testEmitter({ maxRows: 5 });
    const ids = emitMany(emitter, 8);
    expect(emitter.outbox.claim(10).map((row) => row.id)).toEqual(ids.slice(3));
    expect(emitter.outbox.stats()).toMatchObject({ rows: 5, evicted: 3 });
    expect(readCounter(emitter.paths.home, "evicted")).toBe(3);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toContain("evict");
  });

  it("evicts by bytes too, but never the event being stored", () => {
    const emitter = testEmitter({ maxBytes: 1_500 });
    const ids = emitMany(emitter, 6);
    const stats = emitter.outbox.stats();
    expect(stats.bytes).toBeLessThanOrEqual(1_500);
    expect(stats.evicted).toBe(6 - stats.rows);
    expect(emitter.outbox.claim(10).at(-1)?.id).toBe(ids.at(-1));
    const tiny = testEmitter({ maxBytes: 10 });
    expect(emitMany(tiny, 3)).toHaveLength(3);
    expect(tiny.outbox.stats()).toMatchObject({ rows: 1, evicted: 2 });
  });

  it("with reject-new, refuses new events at the cap and counts them", () => {
    const log = captureLog();
    const emitter = testEmitter({ maxRows: 2, capPolicy: "reject-new" });
    emitMany(emitter, 2);
    const refused = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const again = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(refused).toMatchObject({ ok: false, reason: "queue_full" });
    expect(again).toMatchObject({ ok: false, reason: "queue_full" });
    expect(emitter.outbox.stats()).toMatchObject({ rows: 2, rejectedFull: 2, evicted: 0 });
    expect(emitter.clock().value).toBe(2);
    expect(log.warnings()).toHaveLength(1);
    emitter.outbox.ack(emitter.outbox.claim(1).map((row) => row.id));
    expect(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged).ok).toBe(true);
  });
});

describe("list and purge", () => {
  it("lists waiting rows in Lamport order without leasing them, and purges on request", async () => {
    const home = mkdtempSync(join(tmpdir(), "events-list-"));
    try {
      const emitter = createEmitter({ home, project: { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" }, exitHook: false, autoSync: false });
      for (let i = 0; i < 5; i++) emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `n${i}` });
      const listed = emitter.outbox.list({ limit: 3 });
      expect(listed.map((row) => (row.event.payload as { entry_content: string }).entry_content)).toEqual(["n0", "n1", "n2"]);
      expect(listed.every((row) => !row.leased)).toBe(true);
      expect(emitter.outbox.claim(10)).toHaveLength(5);
      expect(emitter.outbox.list().every((row) => row.leased)).toBe(true);
      expect(emitter.outbox.purge()).toEqual({ outbox: 5, deadLetters: 0 });
      expect(emitter.outbox.size()).toBe(0);
      expect(emitter.outbox.stats()).toMatchObject({ rows: 0, bytes: 0 });
      await emitter.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
