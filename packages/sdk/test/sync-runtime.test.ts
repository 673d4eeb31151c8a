/**
 * The background runtime: started lazily by the first emit when a hub is configured,
 * quiet when not, and never the reason a host process stays alive.
 */
import { spawn } from "node:child_process";
import { statSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { createEmitter, login, logout, readCredentials, resolveServer, type Emitter } from "../src/index.js";
import { ADMIN, freePort, inProcessHub, projectToken, storedEvents, tempDir } from "./helpers/hub-process.js";

const PROJECT = { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" };
const HOST = fileURLToPath(new URL("./children/sync-host.ts", import.meta.url));

function fill(home: string, count: number): void {
  const filler = createEmitter({ home, project: PROJECT, exitHook: false, autoSync: false });
  for (let i = 0; i < count; i++) filler.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `queued ${i}` });
  void filler.close();
}

interface HostRun {
  code: number | null;
  /** Milliseconds from the host's last statement to its exit. */
  exitMs: number;
  stderr: string;
}

function runHost(config: { home: string; serverUrl: string; token: string; emits: number; exitFlushMs?: number; exitAfterMs?: number }): Promise<HostRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@events/source", "--import", "tsx", HOST, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, EVENTS_SERVER_URL: "", EVENTS_TOKEN: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      const emitted = Number(/emitted (\d+)/.exec(stdout)?.[1] ?? Number.NaN);
      resolve({ code, exitMs: Date.now() - emitted, stderr });
    });
  });
}

/** A hub that accepts connections and never answers: the worst network there is. */
async function silentHub(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe("a host process", () => {
  it.each([
    ["refuses connections", async () => ({ url: `http://127.0.0.1:${await freePort()}`, close: () => Promise.resolve() })],
    ["accepts connections and never answers", silentHub],
  ])("with 10,000 events queued and a hub that %s exits within the flush bound", async (_label, makeHub) => {
    const home = tempDir("events-host-");
    fill(home, 10_000);
    const hub = await makeHub();
    try {
      const run = await runHost({ home, serverUrl: hub.url, token: ADMIN, emits: 1, exitFlushMs: 1_000 });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      // The bound is 1 s of delivery; the rest is closing queue.db and the process itself.
      expect(run.exitMs).toBeLessThan(1_000 + 2_500);
    } finally {
      await hub.close();
    }
    const after = createEmitter({ home, project: PROJECT, exitHook: false, autoSync: false });
    // Every event is kept, and none is left leased by the delivery the exit cut short:
    // the next process can send them at once.
    expect(after.outbox.size()).toBe(10_001);
    expect(after.outbox.stats().leased).toBe(0);
    await after.close();
  });

  it("that calls process.exit() mid-delivery leaves no row leased for the next process", async () => {
    const home = tempDir("events-host-");
    fill(home, 2_000);
    const hub = await silentHub();
    try {
      // The delivery to a hub that never answers holds its claimed rows when exit comes.
      const run = await runHost({ home, serverUrl: hub.url, token: ADMIN, emits: 1, exitAfterMs: 300 });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    } finally {
      await hub.close();
    }
    const after = createEmitter({ home, project: PROJECT, exitHook: false, autoSync: false });
    expect(after.outbox.size()).toBe(2_001);
    expect(after.outbox.stats().leased).toBe(0);
    await after.close();
  });

  it("delivers what it emitted before it exits, when the hub is up", async () => {
    const hub = await inProcessHub();
    const home = tempDir("events-host-");
    const run = await runHost({ home, serverUrl: hub.url, token: ADMIN, emits: 20 });
    expect(run.code).toBe(0);
    expect(storedEvents(hub.dataDir).rows).toBe(20);
  });
});

describe("the background runtime", () => {
  it("opens the WebSocket once drains grow", async () => {
    const hub = await inProcessHub();
    const emitter = createEmitter({ home: tempDir("events-rt-"), project: PROJECT, exitHook: false, autoSync: false, serverUrl: hub.url, token: ADMIN });
    for (let i = 0; i < 150; i++) emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `n${i}` });
    expect(await emitter.syncNow()).toMatchObject({ synced: 150, remaining: 0 });
    expect(emitter.connectionStatus()).toBe("connected");
    await emitter.close();
  });

  // Delivery from this process (the opt-out); the background syncer has its own tests (syncer.test.ts).
  function client(home: string, options: Parameters<typeof createEmitter>[0] = {}): Emitter {
    return createEmitter({ home, project: PROJECT, exitHook: false, syncBackground: false, ...options });
  }

  it("starts on the first emit and delivers in the background", async () => {
    const hub = await inProcessHub();
    const emitter = client(tempDir("events-rt-"), { serverUrl: hub.url, token: ADMIN });
    expect(emitter.connectionStatus()).toBe("idle");
    emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "first" });
    await vi.waitFor(() => expect(storedEvents(hub.dataDir).rows).toBe(1), { timeout: 10_000 });
    emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "second" });
    await vi.waitFor(() => expect(storedEvents(hub.dataDir).rows).toBe(2), { timeout: 10_000 });
    const status = emitter.status();
    // Two single events: each went as one HTTP request, no WebSocket needed yet.
    expect(status.state).toBe("idle");
    expect(status.lastSyncAt).not.toBeNull();
    expect(status.outboxSize).toBe(0);
    expect(status.configured).toBe(true);
    await emitter.close();
  });

  it("retries after the backoff, not the idle poll, while the hub is down, and delivers once it is up", async () => {
    const port = await freePort();
    const emitter = client(tempDir("events-rt-"), {
      serverUrl: `http://127.0.0.1:${port}`,
      token: ADMIN,
      syncTuning: { pollMs: 600_000, backoff: { baseMs: 20, maxMs: 100 } },
    });
    const errors: string[] = [];
    emitter.onSync("error", (error) => errors.push(error.errorClass));
    emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "while down" });
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(new Set(errors)).toEqual(new Set(["network"]));
    const hub = await inProcessHub({ port });
    await vi.waitFor(() => expect(storedEvents(hub.dataDir).rows).toBe(1), { timeout: 10_000 });
    await emitter.close();
  });

  it("stays idle, quietly, with autoSync off, with sync.auto_start: false, or with no hub configured", async () => {
    const hub = await inProcessHub();
    const project = tempDir("events-rt-project-");
    mkdirSync(join(project, ".events"));
    writeFileSync(join(project, ".events", "config.yaml"), `project:\n  uuid: ${PROJECT.uuid}\n  slug: demo\nsync:\n  auto_start: false\n`);
    const emitters = [
      createEmitter({ home: tempDir("events-rt-"), project: PROJECT, exitHook: false, autoSync: false, serverUrl: hub.url, token: ADMIN }),
      createEmitter({ home: tempDir("events-rt-"), projectRoot: project, exitHook: false, serverUrl: hub.url, token: ADMIN }),
      createEmitter({ home: tempDir("events-rt-"), project: PROJECT, exitHook: false }),
    ];
    for (const emitter of emitters) {
      expect(emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "waits" }).ok).toBe(true);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const emitter of emitters) {
      expect(emitter.connectionStatus()).toBe("idle");
      expect(emitter.outbox.size()).toBe(1);
      await emitter.close();
    }
    expect(storedEvents(hub.dataDir).rows).toBe(0);
  });

  it("answers syncNow with what to do when no hub is configured", async () => {
    const emitter = client(tempDir("events-rt-"), { autoSync: false });
    emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "waits" });
    const result = await emitter.syncNow();
    expect(result.remaining).toBe(1);
    expect(result.error?.hint).toContain("events auth login");
    await emitter.close();
  });
});

describe("credentials", () => {
  it("login checks the token against the hub, then saves it readable by the user only", async () => {
    const hub = await inProcessHub();
    const home = tempDir("events-cred-");
    const { token } = await projectToken(hub.url, PROJECT.uuid);
    await expect(login({ home, serverUrl: hub.url, token: "not-a-token" })).rejects.toMatchObject({ errorClass: "auth" });
    expect(readCredentials(home)).toBeUndefined();
    const saved = await login({ home, serverUrl: `${hub.url}/`, token });
    expect(saved.serverUrl).toBe(hub.url);
    expect(statSync(saved.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(saved.path, "utf8"))).toMatchObject({ server_url: hub.url, token });
    expect(logout(home)).toBe(true);
    expect(readCredentials(home)).toBeUndefined();
  });

  it("login says when the hub cannot be reached", async () => {
    const home = tempDir("events-cred-");
    await expect(login({ home, serverUrl: `http://127.0.0.1:${await freePort()}`, token: "x" })).rejects.toMatchObject({ errorClass: "network" });
  });

  it("takes options first, then the environment, then the credentials file", () => {
    const home = tempDir("events-cred-");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "credentials.json"), JSON.stringify({ server_url: "http://file", token: "file-token" }));
    const env = { EVENTS_SERVER_URL: "http://env", EVENTS_TOKEN: "env-token" };
    expect(resolveServer({ home, env: {} })).toMatchObject({ serverUrl: "http://file", token: "file-token", source: { serverUrl: "credentials", token: "credentials" } });
    expect(resolveServer({ home, env })).toMatchObject({ serverUrl: "http://env", token: "env-token", source: { serverUrl: "env", token: "env" } });
    expect(resolveServer({ home, env, serverUrl: "http://opt", token: "opt" })).toMatchObject({ serverUrl: "http://opt", source: { serverUrl: "options" } });
  });
});
