/**
 * Sync benchmark, side by side in one run, against a real hub in its own process:
 * how fast the outbox drains to the hub over the WebSocket (with per-event acks) and
 * over HTTP batches, next to the floor (a raw `ws` client sending the same events,
 * pre-serialised, in publish frames and waiting for each ack); and how long a host
 * process with a small outbox spends at exit with the hub up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { PROTOCOL_VERSION } from "@events/schema";
import { medianOf, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { killSyncersUnder } from "../../../scripts/test-syncers.js";
import type * as SdkSource from "../src/index.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 3);
const EVENTS = Number(process.env["BENCH_SYNC_EVENTS"] ?? 20_000);
const EXITS = Number(process.env["BENCH_EXIT_RUNS"] ?? 30);
const ADMIN = "bench-admin-token-0123456789abcdef";
const PROJECT = { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "bench" };

const distUrl = new URL("../dist/index.js", import.meta.url);
const hubMain = fileURLToPath(new URL("../../server/dist/main.js", import.meta.url));
if (!existsSync(distUrl) || !existsSync(hubMain)) throw new Error("run `pnpm build` first (packages/sdk and packages/server)");
const sdk = (await import(distUrl.href)) as typeof SdkSource;

const scratch = mkdtempSync(join(tmpdir(), "events-sync-bench-"));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(scratch, `run-${dirs++}`);
  mkdirSync(dir);
  return dir;
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function startHubProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [hubMain, "--port", String(port), "--data-dir", join(freshDir(), "hub"), "--no-socket"], {
    env: { ...process.env, EVENTS_ADMIN_TOKEN: ADMIN, EVENTS_DEBUG: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`hub exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const hub = await startHubProcess();
process.on("exit", () => {
  // Last resort when the bench throws: what cleanUp() does, without waiting.
  hub.child.kill("SIGKILL");
  killSyncersUnder(scratch);
  try {
    rmSync(scratch, { recursive: true, force: true });
  } catch (error) {
    console.error(`left ${scratch} behind: ${(error as Error).message}`);
  }
});

/**
 * Stops the hub and the background syncers that the exit hosts started (they would
 * otherwise idle on, writing into their homes), waits until they are gone, then
 * removes the scratch directory: removing it under a live writer fails with ENOTEMPTY.
 */
async function cleanUp(): Promise<void> {
  const hubGone = hub.child.exitCode !== null || hub.child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => hub.child.once("exit", resolve));
  hub.child.kill("SIGKILL");
  await hubGone;
  const deadline = Date.now() + 10_000;
  for (let left = killSyncersUnder(scratch); left.length > 0; left = killSyncersUnder(scratch)) {
    if (Date.now() > deadline) throw new Error(`syncers ${left.join(", ")} outlived SIGKILL for 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  rmSync(scratch, { recursive: true, force: true });
}

function filledEmitter(options: Partial<SdkSource.EmitterOptions> = {}): SdkSource.Emitter {
  const emitter = sdk.createEmitter({ home: freshDir(), project: PROJECT, exitHook: false, autoSync: false, serverUrl: hub.url, token: ADMIN, ...options });
  for (let i = 0; i < EVENTS; i++) {
    const result = emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed", actor: "bench" });
    if (!result.ok) throw new Error(result.message);
  }
  return emitter;
}

async function drainRate(transport: "ws" | "http"): Promise<number> {
  const emitter = filledEmitter({ syncTransport: transport });
  const started = performance.now();
  const result = await emitter.syncNow();
  const seconds = (performance.now() - started) / 1000;
  await emitter.close();
  if (result.synced !== EVENTS) throw new Error(`${transport}: synced ${result.synced} of ${EVENTS} (${result.error?.message ?? ""})`);
  return EVENTS / seconds;
}

/** The floor: the same events, serialised in advance, in publish frames of 1,000 over one raw socket. */
async function floorRate(): Promise<number> {
  const emitter = filledEmitter();
  const rows = emitter.outbox.claim(EVENTS);
  await emitter.close();
  const frames: string[] = [];
  for (let i = 0; i < rows.length; i += 1_000) {
    frames.push(JSON.stringify({ type: "publish", ref: `f${i}`, events: rows.slice(i, i + 1_000).map((row) => row.event) }));
  }
  const socket = new WebSocket(`${hub.url.replace("http", "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
  const next = (): Promise<{ type: string }> => new Promise((resolve) => socket.once("message", (data: Buffer) => resolve(JSON.parse(data.toString()) as { type: string })));
  await new Promise((resolve) => socket.once("open", resolve));
  const welcome = next();
  socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION }));
  await welcome;
  const started = performance.now();
  for (const frame of frames) {
    const ack = next();
    socket.send(frame);
    if ((await ack).type !== "ack") throw new Error("floor: expected an ack");
  }
  const seconds = (performance.now() - started) / 1000;
  socket.close();
  return rows.length / seconds;
}

const host = join(scratch, "host.mjs");
writeFileSync(
  host,
  `import { createEmitter } from ${JSON.stringify(distUrl.href)};
const [home, url, token] = process.argv.slice(2);
const emitter = createEmitter({ home, project: ${JSON.stringify(PROJECT)}, serverUrl: url, token, autoSync: url !== "none" });
for (let i = 0; i < 10; i++) emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: "exit " + i });
process.stdout.write("emitted " + (performance.timeOrigin + performance.now()) + "\\n");
`,
);

/** Milliseconds from a host's last statement to its exit, with the hub up and 10 events to deliver ("none": sync off). */
function exitTime(url: string = hub.url): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [host, freshDir(), url, ADMIN], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) => {
      const ended = performance.timeOrigin + performance.now();
      const emitted = Number(/emitted ([\d.]+)/.exec(out)?.[1]);
      if (code !== 0 || Number.isNaN(emitted)) reject(new Error(`host exited ${code}: ${out}`));
      else resolve(ended - emitted);
    });
  });
}

const rows: BenchRow[] = [];
await drainRate("ws"); // warm the hub
const floor = await medianOf(RUNS, floorRate);
const ws = await medianOf(RUNS, () => drainRate("ws"));
const http = await medianOf(RUNS, () => drainRate("http"));
rows.push({ name: "drain outbox -> hub over WebSocket, per-event acks", value: ws, unit: "events/s", baseline: `raw ws publish+ack ${Math.round(floor).toLocaleString("en-US")}/s`, ratio: ws / floor, target: ">= 10,000/s", pass: ws >= 10_000 });
rows.push({ name: "drain outbox -> hub over HTTP batches (gzip)", value: http, unit: "events/s", baseline: "WebSocket drain", ratio: http / ws });
const exits: number[] = [];
const quiet: number[] = [];
for (let i = 0; i < EXITS; i++) {
  exits.push(await exitTime());
  quiet.push(await exitTime("none"));
}
rows.push({
  name: `host exit with the hub up, 10 events delivered (p99 of ${EXITS})`,
  value: percentile(exits, 99),
  unit: "ms",
  baseline: `median ${percentile(exits, 50).toFixed(1)} ms; sync off: p99 ${percentile(quiet, 99).toFixed(1)}, median ${percentile(quiet, 50).toFixed(1)}`,
  target: "<= 50 ms",
  pass: percentile(exits, 99) <= 50,
});
report("@events/sdk sync", rows);
// The hub child's pipes keep the event loop alive: stopping it ends the benchmark.
await cleanUp();
