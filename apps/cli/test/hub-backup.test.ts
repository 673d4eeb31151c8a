/**
 * `events hub backup FILE`, the built binary, from its own process while a hub runs
 * and takes writes: the copy opens, holds every event acked before the backup
 * started (and no hole in seq), and a hub started on it serves them all and goes on
 * from there. The refusals: a hub on PostgreSQL (pg_dump instead), no store, an
 * existing FILE.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "./run-cli.js";
import { startServe, stopAll } from "./serve-process.js";

const ADMIN = "hub-backup-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
const UNSET = { PORT: "", EVENTS_DATA_DIR: "", EVENTS_DATABASE_URL: "", EVENTS_REDIS_URL: "" };
const dirs: string[] = [];

afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), "events-hub-backup-"));
  dirs.push(dir);
  return dir;
}

/** The slice of better-sqlite3 this test reads the copy with (the server's own dependency). */
interface Sqlite {
  prepare(sql: string): { all(): unknown[] };
  close(): void;
}
const openSqlite = createRequire(new URL("../../../packages/server/package.json", import.meta.url))("better-sqlite3") as new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => Sqlite;

const minimal = JSON.parse(readFileSync(new URL("../../../packages/schema/fixtures/valid/Envelope/minimal.json", import.meta.url), "utf8")) as Record<string, unknown>;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let counter = 0;

/** A valid event with a fresh ULID (a fixed time, then a counter). */
function event(): Record<string, unknown> {
  counter++;
  let tail = "";
  for (let rest = counter; tail.length < 16; rest = Math.floor(rest / 32)) tail = (CROCKFORD[rest % 32] ?? "0") + tail;
  return { ...minimal, event_id: `01JD7Z8Q3K${tail}`, lamport_clock: counter };
}

/** Posts batches until stopped; `acked` holds every event id the hub answered `accepted`, in order. */
function writer(url: string) {
  const acked: string[] = [];
  let stopped = false;
  let failure: unknown;
  const done = (async () => {
    while (!stopped) {
      const events = Array.from({ length: 25 }, event);
      const response = await fetch(`${url}/api/v1/events/batch`, { method: "POST", headers: AUTH, body: JSON.stringify({ events }) });
      const body = (await response.json()) as { results: Array<{ status: string; event_id: string }> };
      if (!response.ok) throw new Error(`batch refused: ${response.status} ${JSON.stringify(body)}`);
      for (const result of body.results) if (result.status === "accepted") acked.push(result.event_id);
    }
  })().catch((error: unknown) => (failure = error));
  return {
    acked,
    failure: () => failure,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Every event id a hub serves, read backwards through its history (each page before the last one's `next`). */
async function served(url: string): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = (await (await fetch(`${url}/api/v1/events?limit=1000${before === undefined ? "" : `&before=${encodeURIComponent(before)}`}`, { headers: AUTH })).json()) as {
      events: Array<{ seq: number; event: { event_id: string } }>;
      has_more: boolean;
      next: string;
    };
    for (const entry of page.events) ids.push(entry.event.event_id);
    if (!page.has_more || page.events.length === 0) return ids.reverse();
    before = page.next;
  }
}

describe("events hub backup", () => {
  it("copies the store of a running hub that takes writes; a hub started on the copy serves every event acked before", async () => {
    const root = temp();
    const data = join(root, "data");
    const hub = await startServe(["--port", "0", "--data-dir", data, "--no-socket"], { env: { EVENTS_ADMIN_TOKEN: ADMIN } });
    const writes = writer(hub.url);
    await vi.waitFor(() => {
      if (writes.failure() !== undefined) throw writes.failure();
      expect(writes.acked.length).toBeGreaterThanOrEqual(500);
    }, { timeout: 30_000, interval: 20 });

    const ackedBefore = [...writes.acked];
    const file = join(root, "backups", "hub-copy.db");
    mkdirSync(join(root, "backups"));
    const backup = await runCli(["hub", "backup", file, "--data-dir", data, "--json"], { env: UNSET });
    expect({ code: backup.code, stderr: backup.stderr }).toEqual({ code: 0, stderr: "" });
    const report = JSON.parse(backup.stdout) as { file: string; source: string; events: number; position: string; headSeq: number; bytes: number };
    expect(report).toMatchObject({ file, source: join(data, "hub.db") });
    // The hub kept taking writes while and after the copy was made.
    const ackedAtBackupEnd = writes.acked.length;
    await vi.waitFor(() => expect(writes.acked.length).toBeGreaterThan(ackedAtBackupEnd), { timeout: 15_000, interval: 20 });
    await writes.stop();
    expect(writes.failure()).toBeUndefined();

    // The copy is one file (no -wal beside it), readable by its owner only, and opens.
    expect(readdirSync(join(root, "backups"))).toEqual(["hub-copy.db"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const copy = new openSqlite(file, { readonly: true, fileMustExist: true });
    const rows = copy.prepare("select seq, event_id from events order by seq").all() as Array<{ seq: number; event_id: string }>;
    copy.close();
    const inCopy = new Set(rows.map((row) => row.event_id));
    expect(ackedBefore.filter((id) => !inCopy.has(id))).toEqual([]);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: rows.length }, (_, index) => index + 1));
    // The events carry no project: one stream, `-`, numbered as the rows are.
    expect({ events: report.events, position: report.position, headSeq: report.headSeq }).toEqual({ events: rows.length, position: `-:${rows.length}`, headSeq: rows.length });
    expect(rows.length).toBeGreaterThanOrEqual(ackedBefore.length);
    await hub.stop();

    // Restore: a new data dir holding only the copy as hub.db.
    const restored = join(root, "restored");
    mkdirSync(restored);
    copyFileSync(file, join(restored, "hub.db"));
    const again = await startServe(["--port", "0", "--data-dir", restored, "--no-socket"], { env: { EVENTS_ADMIN_TOKEN: ADMIN } });
    expect(await served(again.url)).toEqual(rows.map((row) => row.event_id));
    // And it goes on from the copy's head.
    const next = await fetch(`${again.url}/api/v1/events/batch`, { method: "POST", headers: AUTH, body: JSON.stringify({ events: [event()] }) });
    expect(((await next.json()) as { results: unknown[] }).results).toEqual([expect.objectContaining({ status: "accepted", seq: rows.length + 1 })]);
  });

  it("prints what it copied, and refuses to replace a file unless --force", async () => {
    const root = temp();
    const data = join(root, "data");
    const hub = await startServe(["--port", "0", "--data-dir", data, "--no-socket"], { env: { EVENTS_ADMIN_TOKEN: ADMIN } });
    const file = join(root, "copy.db");
    const first = await runCli(["hub", "backup", file, "--data-dir", data], { env: UNSET });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^backed up ${join(data, "hub.db")} to ${file}: 0 events, `));
    const again = await runCli(["hub", "backup", file, "--data-dir", data], { env: UNSET });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${file} exists`);
    expect(again.stderr).toContain("--force");
    expect((await runCli(["hub", "backup", file, "--data-dir", data, "--force"], { env: UNSET })).code).toBe(0);
    await hub.stop();
  });

  it("finds the store through --config's data_dir, and EVENTS_DATA_DIR", async () => {
    const root = temp();
    const hub = await startServe(["--port", "0", "--data-dir", join(root, "store"), "--no-socket"], { env: { EVENTS_ADMIN_TOKEN: ADMIN } });
    writeFileSync(join(root, "hub.yaml"), "data_dir: ./store\n");
    const viaConfig = await runCli(["hub", "backup", join(root, "a.db"), "--config", join(root, "hub.yaml"), "--json"], { env: UNSET });
    expect(JSON.parse(viaConfig.stdout)).toMatchObject({ source: join(root, "store", "hub.db") });
    const viaEnv = await runCli(["hub", "backup", join(root, "b.db"), "--json"], { env: { ...UNSET, EVENTS_DATA_DIR: join(root, "store") } });
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ source: join(root, "store", "hub.db") });
    await hub.stop();
  });

  it("refuses a hub on PostgreSQL and points to pg_dump", async () => {
    const root = temp();
    const viaEnv = await runCli(["hub", "backup", join(root, "x.db")], { env: { ...UNSET, EVENTS_DATABASE_URL: "postgres://events@127.0.0.1:5432/events" } });
    writeFileSync(join(root, "hub.yaml"), "database_url: postgres://events@127.0.0.1:5432/events\n");
    const viaConfig = await runCli(["hub", "backup", join(root, "x.db"), "--config", join(root, "hub.yaml")], { env: UNSET });
    for (const result of [viaEnv, viaConfig]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("this hub stores in PostgreSQL");
      expect(result.stderr).toContain("pg_dump");
    }
    expect(existsSync(join(root, "x.db"))).toBe(false);
  });

  it("says where it looked when there is no store", async () => {
    const root = temp();
    const result = await runCli(["hub", "backup", join(root, "x.db"), "--data-dir", join(root, "nowhere")], { env: UNSET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no hub store at ${join(root, "nowhere", "hub.db")}`);
    expect(result.stderr).toContain("hint: point --data-dir");
    expect(readdirSync(root)).toEqual([]);
  });
});
