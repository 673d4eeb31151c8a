/**
 * What the emitter does when the disk will not cooperate: a corrupt queue.db, a
 * read-only home or project, a full disk, a full outbox. Emits never throw, events
 * wait in memory with one warning and are written when possible, and whatever never
 * reaches the disk is reported, never dropped silently.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { envelopeCodec } from "@events/schema";
import { describe, expect, it } from "vitest";
import { captureLog } from "./helpers/capture-log.js";
import { runChild, summaryOf } from "./helpers/child.js";
import { testEmitter } from "./helpers/emitters.js";
import { PAYLOADS, statusChange } from "./helpers/payloads.js";
import { readOutbox } from "./helpers/queue-db.js";
import { tempDir } from "./helpers/temp-dir.js";

describe("a corrupt queue.db", () => {
  it("is moved aside and replaced on open; emits stay durable; the recovery is counted and warned once", () => {
    const log = captureLog();
    const emitter = testEmitter();
    const garbage = randomBytes(8192);
    mkdirSync(emitter.paths.home, { recursive: true });
    writeFileSync(join(emitter.paths.home, "queue.db"), garbage);
    const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const second = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(first).toMatchObject({ ok: true, durable: true });
    expect(second).toMatchObject({ ok: true, durable: true });
    expect(emitter.outbox.stats()).toMatchObject({ rows: 2, corruptRecovered: 1, storage: "disk" });
    const aside = readdirSync(emitter.paths.home).filter((name) => /^queue\.db\.corrupt-\d+-\d+$/.test(name));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(emitter.paths.home, aside[0]!))).toEqual(garbage);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toContain(aside[0]);
  });
});

describe("a queue.db deleted under a running emitter", () => {
  it("is noticed by the next emit (at most 100 ms into a burst), which goes to a new file instead of the unlinked one", () => {
    const log = captureLog();
    let now = 1_000_000;
    const emitter = testEmitter({ now: () => now });
    emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    rmSync(emitter.paths.home, { recursive: true });
    now += 100;
    const result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(result).toMatchObject({ ok: true, durable: true });
    expect(readOutbox(emitter.paths.home).map((row) => row.event_id)).toEqual([result.ok ? result.event.event_id : ""]);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toContain("removed or replaced");
  });
});

describe("a full disk", () => {
  it("keeps events in memory with one warning, retries after the interval, then writes them in order", () => {
    const log = captureLog();
    let now = 1_000_000;
    const emitter = testEmitter({ maxDatabasePages: 12, now: () => now, retryIntervalMs: 1_000 });
    const ids: string[] = [];
    const durable: boolean[] = [];
    for (let i = 0; i < 200 && !durable.includes(false); i++) {
      const result = emitter.emitWpStatusChanged(statusChange(i));
      if (!result.ok) throw new Error(result.message);
      ids.push(result.event.event_id);
      durable.push(result.durable);
    }
    for (let i = 0; i < 3; i++) {
      const result = emitter.emitWpStatusChanged(statusChange(i));
      expect(result).toMatchObject({ ok: true, durable: false });
      if (result.ok) ids.push(result.event.event_id);
    }
    const onDisk = durable.indexOf(false);
    expect(onDisk).toBeGreaterThan(0);
    const waiting = ids.length - onDisk;
    expect(emitter.outbox.stats()).toMatchObject({ inMemory: waiting, size: ids.length, rows: onDisk, storage: "memory" });
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toMatch(/full/i);

    // Space comes back (a syncer delivered the rows), but the disk is retried only after the interval.
    const db = new Database(join(emitter.paths.home, "queue.db"));
    db.exec("DELETE FROM outbox");
    db.close();
    const early = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(early).toMatchObject({ ok: true, durable: false });
    if (early.ok) ids.push(early.event.event_id);
    now += 1_000;
    const late = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(late).toMatchObject({ ok: true, durable: true });
    if (late.ok) ids.push(late.event.event_id);

    const rows = readOutbox(emitter.paths.home);
    expect(rows.map((row) => row.event_id)).toEqual(ids.slice(onDisk));
    expect(rows.map((row) => row.lamport)).toEqual(rows.map((_, i) => onDisk + 1 + i));
    expect(emitter.outbox.stats()).toMatchObject({ inMemory: 0, storage: "disk", rows: rows.length });
    expect(log.warnings()).toHaveLength(1);
  });

  it("lets a syncer free space while events wait, and flush() writes them at once", () => {
    captureLog();
    const emitter = testEmitter({ maxDatabasePages: 12 });
    let result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    while (result.ok && result.durable) result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(emitter.flush()).toBe(1);
    const claimed = emitter.outbox.claim(1_000);
    expect(claimed.length).toBeGreaterThan(0);
    expect(emitter.outbox.ack(claimed.map((row) => row.id))).toHaveLength(claimed.length);
    expect(emitter.flush()).toBe(0);
    expect(emitter.outbox.size()).toBe(1);
  });

  it("keeps provisional clock values increasing and dedups by event id while events wait in memory", () => {
    captureLog();
    const emitter = testEmitter({ maxDatabasePages: 12 });
    let result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    while (result.ok && result.durable) result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const lastDurable = result.ok ? result.event.lamport_clock - 1 : 0;
    expect(result.ok && result.event.lamport_clock).toBe(lastDurable + 1);
    const eventId = emitter.generateCausationId();
    const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { eventId });
    const again = emitter.emitWpStatusChanged({ ...PAYLOADS.WPStatusChanged, to_lane: "blocked" }, { eventId });
    expect(first).toMatchObject({ ok: true, durable: false, duplicate: false });
    expect(again).toMatchObject({ ok: true, durable: false, duplicate: true });
    expect(again.ok && again.event).toEqual(first.ok && first.event);
    expect(emitter.clock().value).toBe(lastDurable + 2);
    expect(emitter.observe(500).value).toBe(500);
    expect(emitter.outbox.stats().inMemory).toBe(2);
  });

  it("refuses events past maxMemoryEvents instead of growing without bound", () => {
    captureLog();
    const emitter = testEmitter({ maxDatabasePages: 12, maxMemoryEvents: 2 });
    let result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    while (result.ok && result.durable) result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged)).toMatchObject({ ok: true, durable: false });
    expect(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged)).toMatchObject({ ok: false, reason: "unavailable" });
    expect(emitter.outbox.stats().inMemory).toBe(2);
  });
});

describe("a read-only home (in a process of its own, unprivileged)", () => {
  /** A directory the unprivileged child can reach but not write (temp dirs are 0700). */
  function dirFor(mode: number, name: string): string {
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const dir = join(parent, name);
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  }
  const readOnlyDir = (): string => dirFor(0o555, "ro");

  it("keeps events in memory with one warning, and close() reports and saves them", async () => {
    const home = readOnlyDir();
    const output = await runChild(
      { options: { home, project: null }, count: 5, report: "summary", close: true, captureWarnings: true },
      { unprivileged: true },
    );
    const summary = summaryOf(output);
    expect(summary).toMatchObject({ durable: 0, failures: [], unsent: 5 });
    expect(summary.stats).toMatchObject({ size: 5, inMemory: 5, rows: 0, storage: "memory" });
    expect(summary.warnings).toHaveLength(2);
    expect(summary.warnings[0]).toContain("cannot take events");
    expect(summary.warnings[1]).toContain("5 event(s) could not be written");
    const saved = readFileSync(summary.savedTo!, "utf8").trim().split("\n");
    expect(saved).toHaveLength(5);
    for (const line of saved) expect(envelopeCodec.decodeJson(line).ok).toBe(true);
  });

  it("reports what only lived in memory when the process exits without closing", async () => {
    const home = readOnlyDir();
    const output = await runChild({ options: { home, project: null }, count: 3, report: "summary" }, { unprivileged: true });
    expect(output.code).toBe(0);
    const report = /(\d+) event\(s\) could not be written to the outbox; saved to (\S+)/.exec(output.stderr);
    expect(report?.[1]).toBe("3");
    expect(readFileSync(report![2]!, "utf8").trim().split("\n")).toHaveLength(3);
    expect(output.stderr.match(/warning:/g)).toHaveLength(2);
  });

  it("keeps events in memory when queue.db is corrupt and cannot be moved aside", async () => {
    const home = dirFor(0o755, "home");
    writeFileSync(join(home, "queue.db"), randomBytes(8192));
    chmodSync(home, 0o555);
    const output = await runChild(
      { options: { home, project: null }, count: 4, report: "summary", close: true, captureWarnings: true },
      { unprivileged: true },
    );
    const summary = summaryOf(output);
    expect(summary).toMatchObject({ durable: 0, failures: [], unsent: 4 });
    expect(summary.stats).toMatchObject({ inMemory: 4, corruptRecovered: 0, storage: "memory" });
    expect(summary.warnings).toHaveLength(2);
    expect(summary.warnings[0]).toMatch(/corrupt and cannot be moved aside/);
  });

  it("falls back to a project identity in memory, with one warning, when the project cannot be written", async () => {
    const home = dirFor(0o777, "home");
    const projectRoot = readOnlyDir();
    const output = await runChild(
      { options: { home, projectRoot }, count: 2, report: "summary", close: true, captureWarnings: true },
      { unprivileged: true },
    );
    const summary = summaryOf(output);
    expect(summary).toMatchObject({ durable: 2, projectPersisted: false, unsent: 0 });
    expect(summary.project?.slug).toBe("ro");
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0]).toContain("cannot create or update");
  });
});
