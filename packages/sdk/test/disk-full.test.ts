/**
 * A real full disk under the emitter: its home is a small tmpfs that the test fills
 * with a file until the kernel says ENOSPC. The emitter runs in a host process of
 * its own, so "never throws, the host goes on" is what a real host sees: the
 * process keeps answering and exits 0. Then the hub's store on a full volume, as
 * sync sees it: refused batches stay queued, counted against no event, and are
 * delivered once the hub has space again. Mounting needs root; without it the tests
 * skip with a message, or fail under CI. Every volume is unmounted after its test,
 * passed or failed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { startHub } from "@events/server";
import { cleanupStack } from "../../../scripts/test-cleanups.js";
import { fill, mountTmpfs, requireMount, unmount } from "../../../scripts/test-volumes.js";
import { describe, expect, it } from "vitest";
import { createEmitter, type EmitterOptions } from "../src/index.js";
import type { EmitOutcome, HostAnswer, HostCommand } from "./children/disk-full-host.js";
import { readOutbox } from "./helpers/queue-db.js";
import { tempDir } from "./helpers/temp-dir.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const hostScript = fileURLToPath(new URL("./children/disk-full-host.ts", import.meta.url));
const VOLUME_BYTES = 2 * 1024 * 1024;
const RETRY_MS = 60_000;

/** Undone after each test, last first: hosts are stopped before their volume is unmounted. */
const cleanups = cleanupStack();

function smallVolume(): string {
  const dir = mkdtempSync(join(tmpdir(), "events-sdk-full-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mountTmpfs(dir, VOLUME_BYTES);
  cleanups.push(() => unmount(dir));
  return dir;
}

interface Host {
  child: ChildProcess;
  ask(command: HostCommand): Promise<HostAnswer>;
  exited: Promise<number | null>;
  stderr(): string;
}

async function startHost(options: EmitterOptions, env: NodeJS.ProcessEnv): Promise<Host> {
  const child = spawn(process.execPath, ["--conditions=@events/source", "--import", "tsx", hostScript, JSON.stringify(options)], {
    cwd: packageDir,
    env: { ...process.env, EVENTS_DEBUG: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the host did not answer within 20 s; stderr:\n${stderr}`)), 20_000);
    });
    const died = exited.then((code) => Promise.reject(new Error(`the host exited with ${code}; stderr:\n${stderr}`)));
    try {
      const line = await Promise.race([lines.next(), timeout, died]);
      if (line.done === true) throw new Error(`the host closed its output; stderr:\n${stderr}`);
      return line.value;
    } finally {
      clearTimeout(timer);
    }
  };
  expect(await next()).toBe("ready");
  return {
    child,
    exited,
    stderr: () => stderr,
    ask: async (command) => {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      const answer = JSON.parse(await next()) as HostAnswer;
      expect(answer.threw).toBeUndefined();
      return answer;
    },
  };
}

const okIds = (outcomes: EmitOutcome[]): string[] => outcomes.flatMap((outcome) => (outcome.ok ? [outcome.id] : []));

describe("an emitter whose home is on a full volume (tmpfs)", () => {
  it("returns durable: false, then unavailable past maxMemoryEvents, never throws; once space returns every held event is in queue.db with a fresh, unique clock value", async (context) => {
    requireMount(context);
    const volume = smallVolume();
    const home = join(volume, "home");
    const host = await startHost(
      { home, project: null, autoSync: false, maxMemoryEvents: 10, retryIntervalMs: RETRY_MS },
      { TMPDIR: tempDir() },
    );

    const before = (await host.ask({ op: "emit", count: 20 })).outcomes!;
    expect(before).toEqual(Array.from({ length: 20 }, () => expect.objectContaining({ ok: true, durable: true })));

    expect(fill(join(volume, "filler-1"))).toBeGreaterThan(0);
    const first = await host.ask({ op: "emit", count: 1 });
    expect(first.outcomes).toEqual([expect.objectContaining({ ok: true, durable: false })]);
    expect(first.warnings).toEqual([expect.stringMatching(/SQLITE_FULL/)]);

    // Closing the failed connection may have freed a little (SQLite removes its -wal
    // and -shm when it can): take that too, then let the retry interval pass so the
    // next emit tries the disk again, and fails again.
    fill(join(volume, "filler-2"));
    await host.ask({ op: "advance", ms: RETRY_MS });
    const full = (await host.ask({ op: "emit", count: 12 })).outcomes!;
    expect(full.slice(0, 9)).toEqual(Array.from({ length: 9 }, () => expect.objectContaining({ ok: true, durable: false })));
    expect(full.slice(9)).toEqual(
      Array.from({ length: 3 }, () => ({ ok: false, reason: "unavailable", message: expect.stringMatching(/maxMemoryEvents/) })),
    );
    expect((await host.ask({ op: "stats" })).stats).toMatchObject({ rows: 20, inMemory: 10, size: 30, storage: "memory" });
    expect(host.child.exitCode).toBeNull();

    rmSync(join(volume, "filler-1"));
    rmSync(join(volume, "filler-2"));
    await host.ask({ op: "advance", ms: RETRY_MS });
    const after = (await host.ask({ op: "emit", count: 1 })).outcomes!;
    expect(after).toEqual([expect.objectContaining({ ok: true, durable: true })]);
    expect((await host.ask({ op: "stats" })).stats).toMatchObject({ rows: 31, inMemory: 0, size: 31, storage: "disk" });

    const closed = await host.ask({ op: "close" });
    expect(closed.unsent).toBe(0);
    host.child.stdin!.end();
    expect(await host.exited).toBe(0);

    // Every ok emit is a row, in emit order; the held ones were stamped again when written.
    const emitted = [...okIds(before), ...okIds(first.outcomes!), ...okIds(full), ...okIds(after)];
    const rows = readOutbox(home);
    expect(rows.map((row) => row.event_id)).toEqual(emitted);
    expect(rows.map((row) => row.lamport)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(readdirSync(home).filter((name) => name.startsWith("unsent-"))).toEqual([]);
  });

  it("saves what still waits in memory at close to the temp directory, leaves no truncated file on the full volume, and keeps every row it had", async (context) => {
    requireMount(context);
    const volume = smallVolume();
    const home = join(volume, "home");
    const spare = tempDir();
    const host = await startHost({ home, project: null, autoSync: false, retryIntervalMs: RETRY_MS }, { TMPDIR: spare });

    const before = (await host.ask({ op: "emit", count: 5 })).outcomes!;
    expect(before).toEqual(Array.from({ length: 5 }, () => expect.objectContaining({ ok: true, durable: true })));
    fill(join(volume, "filler-1"));
    const held = (await host.ask({ op: "emit", count: 3 })).outcomes!;
    expect(held).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ ok: true, durable: false })));
    // The close flushes (on a disk still full) and writes the report: take what the failed write freed.
    fill(join(volume, "filler-2"));

    const closed = await host.ask({ op: "close" });
    expect(closed.unsent).toBe(3);
    expect(closed.savedTo).toMatch(new RegExp(`^${spare}/unsent-.*\\.jsonl$`));
    expect(closed.warnings).toContainEqual(expect.stringContaining(closed.savedTo!));
    host.child.stdin!.end();
    expect(await host.exited).toBe(0);

    const saved = readFileSync(closed.savedTo!, "utf8").trimEnd().split("\n").map((line) => (JSON.parse(line) as { event_id: string }).event_id);
    expect(saved).toEqual(okIds(held));
    expect(readdirSync(home).filter((name) => name.startsWith("unsent-"))).toEqual([]);
    rmSync(join(volume, "filler-1"));
    rmSync(join(volume, "filler-2"));
    expect(readOutbox(home).map((row) => row.event_id)).toEqual(okIds(before));
  });
});

describe("sync to a hub whose store is on a full volume (tmpfs)", () => {
  const ADMIN = "disk-full-admin-token-0123456789";
  const PROJECT = { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" };

  it.for(["http", "ws"] as const)(
    "over %s: the hub's refusal (507 / storage_full) keeps every event queued with no retry counted, and the next sync after space returns delivers them all once",
    async (transport, context) => {
      requireMount(context);
      const volume = smallVolume();
      const dataDir = join(volume, "data");
      const hub = await startHub({ host: "127.0.0.1", port: 0, dataDir, socketPath: false, logger: "silent", adminToken: ADMIN });
      cleanups.push(() => hub.close());
      const client = createEmitter({
        home: join(tempDir(), "home"),
        project: PROJECT,
        exitHook: false,
        autoSync: false,
        serverUrl: hub.url,
        token: ADMIN,
        syncTransport: transport,
      });
      cleanups.push(async () => void (await client.close()));

      fill(join(volume, "filler"));
      // The hub's WAL may still hold a few batches: emit and sync until the hub refuses.
      let emitted = 0;
      let refused: Awaited<ReturnType<typeof client.syncNow>> | undefined;
      for (let round = 0; round < 50 && refused === undefined; round++) {
        for (let i = 0; i < 200; i++) {
          const result = client.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `note ${emitted}` });
          if (!result.ok) throw new Error(result.message);
          emitted++;
        }
        const outcome = await client.syncNow({ timeoutMs: 10_000 });
        if (outcome.error !== undefined) refused = outcome;
      }
      const said = transport === "http" ? /HTTP 507 .*storage_full/ : /the hub said storage_full: .*again later/;
      expect(refused).toMatchObject({ rejected: 0, deadLettered: 0, error: { errorClass: "server", message: expect.stringMatching(said) } });
      // The WebSocket stays open: a refused publish is not a broken connection.
      expect(client.connectionStatus()).toBe(transport === "http" ? "batch" : "connected");
      const waiting = refused!.remaining;
      expect(waiting).toBeGreaterThan(0);
      expect(client.outbox.stats()).toMatchObject({ size: waiting, retryBuckets: { "0": waiting, "1-3": 0, "4+": 0 }, deadLetters: 0, deadLettered: 0 });

      rmSync(join(volume, "filler"));
      expect(await client.syncNow({ timeoutMs: 10_000 })).toMatchObject({ synced: waiting, rejected: 0, remaining: 0 });
      const db = new Database(join(dataDir, "hub.db"), { readonly: true });
      try {
        expect(db.prepare("SELECT COUNT(*) AS rows, COUNT(DISTINCT event_id) AS ids FROM events").get()).toEqual({ rows: emitted, ids: emitted });
      } finally {
        db.close();
      }
    },
  );
});
