/**
 * The client's cost per delivered event against the floor: a bare `ws` message
 * handler that only parses JSON. Both read the same replay of EVENTS events from one
 * real hub (in this process, on the other core), each in a child process of its own
 * that reports the CPU time it spent between its first and last event; runs are
 * interleaved and the medians compared. The client over SSE is shown beside them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startHub } from "@events/server";
import { median, report, type BenchRow } from "../../../scripts/bench-kit.js";

const EVENTS = Number(process.env["BENCH_CLIENT_EVENTS"] ?? 50_000);
const RUNS = Number(process.env["BENCH_RUNS"] ?? 7);
const BATCH = 1_000;
const TOKEN = "bench-admin";
const child = fileURLToPath(new URL("./receive-child.ts", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "events-client-bench-"));
const hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), socketPath: false, controlDir: dir, logger: "silent", adminToken: TOKEN });
const minimal = JSON.parse(readFileSync(fileURLToPath(new URL("../../schema/fixtures/valid/Envelope/wp-status-changed.json", import.meta.url)), "utf8")) as Record<string, unknown>;

// A realistic event (a lane change, ~500 bytes of JSON), EVENTS of them, over 8 projects (streams), so the
// client keeps a position of 8 streams as it would on an admin's dashboard.
const PROJECTS = Array.from({ length: 8 }, (_, index) => `6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7${index}`);
let id = 0;
for (let sent = 0; sent < EVENTS; sent += BATCH) {
  const events = Array.from({ length: Math.min(BATCH, EVENTS - sent) }, () => ({ ...minimal, event_id: `01JD7Z8Q3K${String(++id).padStart(16, "0")}`, lamport_clock: id, project_uuid: PROJECTS[id % PROJECTS.length] }));
  const response = await fetch(`${hub.url}/api/v1/events/batch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  if (!response.ok) throw new Error(`loading events: ${response.status} ${await response.text()}`);
}

type Mode = "bare" | "client" | "client-sse";
/** One child run (spawned, not spawnSync: the hub in this process must keep serving). */
function once(mode: Mode): Promise<{ cpuUs: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const run = spawn(process.execPath, ["--import", "tsx", child, mode, hub.url, TOKEN, String(EVENTS)], { stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });
    let stdout = "";
    let stderr = "";
    run.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    run.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    run.on("exit", (code) => (code === 0 ? resolve(JSON.parse(stdout) as { cpuUs: number; wallMs: number }) : reject(new Error(`${mode} run failed (${code}): ${stderr}`))));
  });
}

const samples: Record<Mode, { cpuUs: number; wallMs: number }[]> = { bare: [], client: [], "client-sse": [] };
await once("bare");
await once("client"); // warm the hub's caches and the disk for both
for (let run = 0; run < RUNS; run++) for (const mode of ["bare", "client", "client-sse"] as const) samples[mode].push(await once(mode));
await hub.close();
rmSync(dir, { recursive: true, force: true });

const perEvent = (mode: Mode): number => median(samples[mode].map((sample) => (sample.cpuUs * 1_000) / EVENTS));
const spread = (mode: Mode): string => {
  const values = samples[mode].map((sample) => (sample.cpuUs * 1_000) / EVENTS).sort((a, b) => a - b);
  return `${Math.round(values[0]!)}-${Math.round(values.at(-1)!)}`;
};
const bare = perEvent("bare");
const client = perEvent("client");
const sse = perEvent("client-sse");
const rows: BenchRow[] = [
  { name: `bare ws handler, JSON.parse only (floor; ${EVENTS} events, runs ${spread("bare")} ns)`, value: bare, unit: "ns CPU/event" },
  {
    name: `@events/client over WebSocket (runs ${spread("client")} ns)`,
    value: client,
    unit: "ns CPU/event",
    baseline: "bare ws handler",
    ratio: bare / client,
    target: "<= 1.5x the floor",
    pass: client <= 1.5 * bare,
  },
  { name: `@events/client over SSE (runs ${spread("client-sse")} ns)`, value: sse, unit: "ns CPU/event", baseline: "bare ws handler", ratio: bare / sse },
  { name: "replay wall time, bare ws", value: median(samples.bare.map((sample) => sample.wallMs)), unit: "ms" },
  { name: "replay wall time, @events/client over WebSocket", value: median(samples.client.map((sample) => sample.wallMs)), unit: "ms" },
];
report("@events/client", rows);
