/**
 * The background syncer: an emit hands delivery to it and returns with the event on
 * disk; one syncer per home however many processes emit; a syncer killed mid-delivery
 * loses nothing; an idle syncer exits by itself. Every syncer a test starts is killed
 * when it ends.
 */
import { existsSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmitter, syncerRunning, syncerSocketPath, type EmitterOptions } from "../src/index.js";
import { collect, spawnChild, summaryOf } from "./helpers/child.js";
import { ADMIN, inProcessHub, storedEvents, tempDir } from "./helpers/hub-process.js";
import { readOutbox } from "./helpers/queue-db.js";
import { killSyncers, syncerPids } from "../../../scripts/test-syncers.js";

const PROJECT = { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" };
const homes: string[] = [];

afterEach(() => {
  vi.unstubAllEnvs();
  killSyncers(homes.splice(0));
});

/** A new home whose first event a background syncer delivered to a new hub; that syncer is still running. */
async function oneEventDelivered(): Promise<string> {
  const hub = await inProcessHub();
  const home = newHome();
  const emitter = backgroundEmitter(home, hub.url);
  emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: null, to_lane: "planned" });
  await emitter.close();
  await vi.waitFor(() => expect(storedEvents(hub.dataDir).rows).toBe(1), { timeout: 20_000, interval: 50 });
  return home;
}

function newHome(): string {
  const home = tempDir("events-syncer-");
  homes.push(home);
  return home;
}

function leasedBySyncer(home: string): number {
  const db = new Database(join(home, "queue.db"), { readonly: true });
  try {
    return db.prepare<[], number>("SELECT COUNT(*) FROM outbox WHERE lease_owner LIKE 'syncer:%'").pluck().get() ?? 0;
  } finally {
    db.close();
  }
}

function log(home: string): string {
  const path = join(home, "syncer.log");
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** Runs `wait`; when it fails, the error also says what the syncers logged and what the outbox holds. */
async function explained<T>(home: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const outbox = readOutbox(home);
    const state = `outbox ${outbox.length} rows, ${leasedBySyncer(home)} leased by a syncer; syncers ${JSON.stringify(syncerPids(home))}`;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${state}\nsyncer.log (last 40 lines):\n${log(home).split("\n").slice(-40).join("\n")}`, { cause: error });
  }
}

function backgroundEmitter(home: string, hubUrl: string, options: EmitterOptions = {}) {
  return createEmitter({ home, project: PROJECT, exitHook: false, serverUrl: hubUrl, token: ADMIN, syncBackground: true, ...options });
}

describe("the background syncer", () => {
  it("takes delivery: emit returns with the event on disk, before delivery, and the syncer delivers it", async () => {
    const hub = await inProcessHub();
    const home = newHome();
    const emitter = backgroundEmitter(home, hub.url);
    const result = emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: null, to_lane: "planned" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // At return: in queue.db, and nothing at the hub yet (no syncer exists before this emit).
    expect(readOutbox(home).map((row) => row.event_id)).toEqual([result.event.event_id]);
    expect(storedEvents(hub.dataDir).rows).toBe(0);
    expect(emitter.status().background).toBe(true);
    await emitter.close(); // waits for the poke only, which starts the syncer
    await vi.waitFor(() => expect(storedEvents(hub.dataDir)).toEqual({ rows: 1, distinct: 1 }), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(readOutbox(home)).toEqual([]), { timeout: 5_000, interval: 50 });
    expect(await syncerRunning(home)).toBe(true);
    expect(syncerPids(home)).toHaveLength(1);
  });

  it("answers a drain request: delivered, or why not, without this process talking to the hub", async () => {
    const hub = await inProcessHub();
    const home = newHome();
    const emitter = backgroundEmitter(home, hub.url);
    emitter.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "hi", level: "info" } });
    const delivery = await emitter.syncViaSyncer({ timeoutMs: 20_000 });
    expect(delivery.error).toBeUndefined();
    expect(delivery.remaining).toBe(0);
    expect(storedEvents(hub.dataDir).rows).toBe(1);
    await emitter.close();
  });

  it("starts at most one syncer per home, however many processes emit at once", async () => {
    const hub = await inProcessHub();
    const home = newHome();
    const options: EmitterOptions = { home, project: PROJECT, serverUrl: hub.url, token: ADMIN, syncBackground: true };
    const children = Array.from({ length: 5 }, () => spawnChild({ options, count: 20, report: "summary", waitForGo: true, close: true }));
    const outputs = children.map((child) => collect(child));
    for (const child of children) child.stdin?.end("go\n");
    for (const output of await Promise.all(outputs)) expect(summaryOf(output).durable).toBe(20);
    await vi.waitFor(() => expect(storedEvents(hub.dataDir)).toEqual({ rows: 100, distinct: 100 }), { timeout: 30_000, interval: 100 });
    // Every process that found no syncer may have started one; exactly one took the home.
    expect(log(home).match(/started on/g)).toHaveLength(1);
    await vi.waitFor(() => expect(syncerPids(home)).toHaveLength(1), { timeout: 10_000, interval: 50 });
  });

  it("loses nothing when killed mid-delivery: the next emit's syncer sends the rest, each event stored once", async () => {
    const hub = await inProcessHub();
    const home = newHome();
    const total = 10_000;
    const filler = createEmitter({ home, project: PROJECT, exitHook: false, autoSync: false });
    for (let i = 0; i < total; i++) filler.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `queued ${i}` });
    await filler.close();

    const first = backgroundEmitter(home, hub.url);
    first.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "wakes the syncer" });
    await first.close();
    // Kill it once the hub has answered a batch and more remain.
    await vi.waitFor(() => expect(log(home)).toMatch(/delivered \d+, [1-9]\d* remaining/), { timeout: 30_000, interval: 5 });
    const [pid] = syncerPids(home);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    await vi.waitFor(() => expect(syncerPids(home)).toEqual([]), { timeout: 5_000, interval: 10 });
    const stored = storedEvents(hub.dataDir).rows;
    expect(stored).toBeGreaterThan(0);
    expect(readOutbox(home).length).toBeGreaterThan(0); // it died with work left
    const leased = leasedBySyncer(home);

    const next = backgroundEmitter(home, hub.url);
    next.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "after the kill" });
    await next.close();
    await explained(home, () =>
      vi.waitFor(() => expect(storedEvents(hub.dataDir)).toEqual({ rows: total + 2, distinct: total + 2 }), { timeout: 60_000, interval: 100 }),
    );
    await explained(home, () => vi.waitFor(() => expect(readOutbox(home)).toEqual([]), { timeout: 10_000, interval: 50 }));
    // Rows the dead syncer held were freed at once by the next one, not left to their 60 s leases.
    if (leased > 0) expect(log(home)).toContain(`freed ${leased} rows a dead syncer held`);
  });

  it("exits by itself once idle, and removes its socket", async () => {
    vi.stubEnv("EVENTS_SYNCER_IDLE_MS", "300");
    const home = await oneEventDelivered();
    await vi.waitFor(() => expect(log(home)).toContain("stopped (idle)"), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(syncerPids(home)).toEqual([]), { timeout: 5_000, interval: 20 });
    expect(existsSync(syncerSocketPath(home))).toBe(false);
    expect(await syncerRunning(home)).toBe(false);
  });

  it("exits when its home is deleted under it, and was never holding it as its working directory", async () => {
    const home = await oneEventDelivered();
    const [pid] = syncerPids(home);
    expect(pid).toBeDefined();
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");
    rmSync(home, { recursive: true, force: true });
    await vi.waitFor(() => expect(syncerPids(home)).toEqual([]), { timeout: 10_000, interval: 50 });
  });

  it("exits at once when the home has no hub configured", async () => {
    const home = newHome();
    const { spawnSyncer } = await import("../src/syncer/syncer-socket.js");
    expect(spawnSyncer({ home, env: { EVENTS_SERVER_URL: "", EVENTS_TOKEN: "" } })).toBe(true);
    await vi.waitFor(() => expect(log(home)).toContain("stopped (not-configured)"), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(syncerPids(home)).toEqual([]), { timeout: 5_000, interval: 20 });
  });

  it("keeps its socket path under the unix limit for a long home", () => {
    const long = join("/tmp", "x".repeat(120));
    expect(Buffer.byteLength(syncerSocketPath(long))).toBeLessThanOrEqual(100);
    expect(syncerSocketPath(long)).not.toBe(syncerSocketPath(`${long}y`));
    expect(syncerSocketPath("/tmp/home")).toBe("/tmp/home/syncer.sock");
  });
});
