/**
 * @events/server benchmark: fan-out, latency, ingest and memory, side by side with
 * the floors (raw `ws` / raw SSE writing one pre-built buffer per event, raw
 * better-sqlite3 inserts) and with Socket.IO 4, in one run.
 *
 * How it measures: each server runs alone in a child process (bench/children/
 * server.ts); the 1,000 subscribers run in another child (bench/children/clients.ts)
 * as raw TCP clients that only scan for the last event's id, so the servers are
 * measured, not the clients. Runs alternate between systems and the table shows
 * medians. The hub is imported from ../dist (build first: turbo does).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import WebSocket from "ws";
import { channelOf, type Envelope } from "@events/schema";
import { median, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { benchEvents } from "./lib/events.js";
import { Child, now } from "./lib/ipc.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
const SUBSCRIBERS = Number(process.env["BENCH_SUBSCRIBERS"] ?? 1_000);
const FANOUT_EVENTS = 500;
const TOKEN = "bench-admin-token";
const IDLE_CONNECTIONS = 5_000;
const INGEST_EVENTS = 60_000;
const server = (execArgv: string[] = []) => new Child(new URL("./children/server.ts", import.meta.url), { execArgv });
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** A `ws` client of the hub that publishes pre-serialised frames and counts acks. */
async function publisher(port: number): Promise<{ socket: WebSocket; acks: () => number; close: () => void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  let acks = 0;
  socket.on("message", (data: Buffer) => {
    if (data.subarray(0, 16).toString().includes('"ack"')) acks++;
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return { socket, acks: () => acks, close: () => socket.close() };
}

function frames(events: readonly Envelope[], size: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < events.length; start += size) {
    out.push(JSON.stringify({ type: "publish", ref: `f${start}`, events: events.slice(start, start + size) }));
  }
  return out;
}

async function waitUntil(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("bench step timed out");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// ---------------------------------------------------------------- fan-out ----

interface FanoutSystem {
  readonly name: string;
  readonly clientKind: string;
  /** Sends the events; resolves when they are handed over (the clients say when they arrived). */
  readonly send: (events: Envelope[]) => Promise<void>;
  readonly prepare?: (events: Envelope[]) => Promise<void>;
}

async function fanout(clients: Child, hubPort: number): Promise<BenchRow[]> {
  const floorWs = server();
  const floorBatched = server();
  const floorSse = server();
  const socketIo = server();
  const ports = {
    floorWs: (await floorWs.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-ws" })).port,
    floorBatched: (await floorBatched.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-ws-batched" })).port,
    floorSse: (await floorSse.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-sse" })).port,
    socketIo: (await socketIo.request<{ cmd: string; port: number }>({ cmd: "start", kind: "socketio" })).port,
  };
  const pub = await publisher(hubPort);
  const viaServer = (child: Child) => ({
    prepare: async (events: Envelope[]) => void (await child.request({ cmd: "load", events: events.map((event) => JSON.stringify(event)) })),
    send: async () => void (await child.request({ cmd: "go" })),
  });
  const viaHub = {
    send: async (events: Envelope[]) => {
      const before = pub.acks();
      const batch = frames(events, 100);
      for (const frame of batch) pub.socket.send(frame);
      await waitUntil(() => pub.acks() >= before + batch.length);
    },
  };
  const systems: FanoutSystem[] = [
    { name: "floor-ws", clientKind: "floor-ws", ...viaServer(floorWs) },
    { name: "floor-ws-batched", clientKind: "floor-ws", ...viaServer(floorBatched) },
    { name: "hub-ws", clientKind: "hub-ws", ...viaHub },
    { name: "socketio", clientKind: "socketio", ...viaServer(socketIo) },
    { name: "floor-sse", clientKind: "floor-sse", ...viaServer(floorSse) },
    { name: "hub-sse", clientKind: "hub-sse", ...viaHub },
  ];
  const portOf: Record<string, number> = { "floor-ws": ports.floorWs, "floor-ws-batched": ports.floorBatched, "hub-ws": hubPort, socketio: ports.socketIo, "floor-sse": ports.floorSse, "hub-sse": hubPort };
  const rates = new Map<string, number[]>(systems.map((system) => [system.name, []]));
  // Two phases (WebSocket, then SSE) so the hub never feeds both groups at once.
  for (const phase of [systems.slice(0, 4), systems.slice(4)]) {
    for (const system of phase) {
      log(`opening ${SUBSCRIBERS} ${system.name} subscribers`);
      await clients.request({ cmd: "open", name: system.name, kind: system.clientKind, port: portOf[system.name], count: SUBSCRIBERS, token: TOKEN });
    }
    // A warm-up round, not counted, then RUNS rounds alternating between systems.
    for (let run = 0; run <= RUNS; run++) {
      for (const system of phase) {
        const events = benchEvents(FANOUT_EVENTS);
        await system.prepare?.(events);
        await clients.request({ cmd: "arm", name: system.name, marker: events.at(-1)!.event_id });
        const started = now();
        const sending = system.send(events);
        const { at } = await clients.request<{ cmd: string; at: number }>({ cmd: "wait", name: system.name });
        await sending;
        if (run > 0) rates.get(system.name)!.push((SUBSCRIBERS * FANOUT_EVENTS) / ((at - started) / 1000));
        log(`  ${system.name} run ${run}: ${Math.round(at - started)} ms`);
      }
    }
    for (const system of phase) await clients.request({ cmd: "close", name: system.name });
  }
  pub.close();
  await Promise.all([floorWs.stop(), floorBatched.stop(), floorSse.stop(), socketIo.stop()]);
  const rate = (name: string) => median(rates.get(name)!);
  const hubWs = rate("hub-ws");
  const hubSse = rate("hub-sse");
  return [
    { name: `fan-out floor: raw ws, 1 buffer/event, ${SUBSCRIBERS} subs`, value: rate("floor-ws"), unit: "deliveries/s" },
    { name: `fan-out raw ws corked per 100 events (the hub's trick)`, value: rate("floor-ws-batched"), unit: "deliveries/s" },
    { name: `fan-out Socket.IO 4 broadcast, ${SUBSCRIBERS} subs`, value: rate("socketio"), unit: "deliveries/s" },
    { name: `fan-out hub WS (stored first), ${SUBSCRIBERS} subs`, value: hubWs, unit: "deliveries/s", baseline: "raw ws floor", ratio: hubWs / rate("floor-ws"), target: ">= 0.7x floor", pass: hubWs / rate("floor-ws") >= 0.7 },
    { name: `fan-out hub WS vs raw ws corked per batch`, value: hubWs, unit: "deliveries/s", baseline: "raw ws, corked", ratio: hubWs / rate("floor-ws-batched") },
    { name: `fan-out hub WS vs Socket.IO 4`, value: hubWs, unit: "deliveries/s", baseline: "Socket.IO 4", ratio: hubWs / rate("socketio"), target: ">= 3x Socket.IO", pass: hubWs / rate("socketio") >= 3 },
    { name: `fan-out floor: raw SSE, 1 buffer/event, ${SUBSCRIBERS} subs`, value: rate("floor-sse"), unit: "deliveries/s" },
    { name: `fan-out hub SSE (stored first), ${SUBSCRIBERS} subs`, value: hubSse, unit: "deliveries/s", baseline: "raw SSE floor", ratio: hubSse / rate("floor-sse"), target: ">= 0.7x floor", pass: hubSse / rate("floor-sse") >= 0.7 },
  ];
}

// ---------------------------------------------------------------- latency ----

/** p99 publish-to-deliver at 100 events/s to one subscriber; both ends in this process. */
async function latencyOne(hubPort: number): Promise<BenchRow> {
  const p99s: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    const subscriber = new WebSocket(`ws://127.0.0.1:${hubPort}/api/v1/ws`, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
    await new Promise<void>((resolve) => {
      subscriber.on("message", (data: Buffer) => {
        const at = now();
        const frame = JSON.parse(data.toString()) as { type: string; event?: Envelope };
        if (frame.type === "subscribed") resolve();
        const sentAt = frame.event === undefined ? undefined : sent.get(frame.event.event_id);
        if (sentAt !== undefined) latencies.push(at - sentAt);
      });
      subscriber.on("open", () => subscriber.send(JSON.stringify({ type: "subscribe", sub: "one" })));
    });
    const pub = await publisher(hubPort);
    const events = benchEvents(500);
    const started = now();
    for (let index = 0; index < events.length; index++) {
      const due = started + index * 10;
      while (now() < due) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(5, due - now()))));
      const event = events[index]!;
      sent.set(event.event_id, now());
      pub.socket.send(JSON.stringify({ type: "publish", ref: `l${index}`, events: [event] }));
    }
    await waitUntil(() => latencies.length >= events.length, 10_000);
    p99s.push(percentile(latencies, 99));
    subscriber.close();
    pub.close();
  }
  const value = median(p99s);
  return { name: "p99 publish->deliver, 100 ev/s, 1 subscriber", value, unit: "ms", target: "<= 5 ms", pass: value <= 5 };
}

/** p99 publish-to-deliver to the last of 1,000 subscribers at 10 events/s (clients in the client process). */
async function latencyThousand(clients: Child, hubPort: number): Promise<BenchRow> {
  const p99s: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    await clients.request({ cmd: "latency-open", port: hubPort, count: SUBSCRIBERS, token: TOKEN });
    const pub = await publisher(hubPort);
    const events = benchEvents(60);
    const sent = new Map<string, number>();
    const started = now();
    for (let index = 0; index < events.length; index++) {
      const due = started + index * 100;
      while (now() < due) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(20, due - now()))));
      const event = events[index]!;
      sent.set(event.event_id, now());
      pub.socket.send(JSON.stringify({ type: "publish", ref: `k${index}`, events: [event] }));
    }
    const { times, complete } = await clients.request<{ cmd: string; times: Record<string, number>; complete: boolean }>({ cmd: "latency-collect", expected: events.length });
    if (!complete) throw new Error("not every subscriber got every event");
    const lat = events.map((event) => times[event.event_id]! - sent.get(event.event_id)!);
    log(`  last-of-${SUBSCRIBERS} latency p50 ${percentile(lat, 50).toFixed(1)} p90 ${percentile(lat, 90).toFixed(1)} max ${Math.max(...lat).toFixed(1)} ms`);
    p99s.push(percentile(lat, 99));
    pub.close();
  }
  const value = median(p99s);
  return { name: `p99 publish->deliver to the last of ${SUBSCRIBERS}, 10 ev/s`, value, unit: "ms", target: "<= 50 ms", pass: value <= 50 };
}

// ----------------------------------------------------------------- ingest ----

async function ingest(): Promise<BenchRow[]> {
  const hubRates: number[] = [];
  const floorRates: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    const child = server();
    const { port } = await child.request<{ cmd: string; port: number }>({ cmd: "start", kind: "hub", token: TOKEN });
    const events = benchEvents(INGEST_EVENTS);
    const batch = frames(events, 500);
    const pub = await publisher(port);
    const window = 8;
    const started = now();
    let sentFrames = 0;
    while (sentFrames < batch.length) {
      await waitUntil(() => sentFrames - pub.acks() < window);
      pub.socket.send(batch[sentFrames++]!);
    }
    await waitUntil(() => pub.acks() >= batch.length);
    hubRates.push(events.length / ((now() - started) / 1000));
    pub.close();
    await child.request({ cmd: "stop" });
    await child.stop();
    floorRates.push(rawSqliteInserts(events));
  }
  const hub = median(hubRates);
  const floor = median(floorRates);
  return [
    { name: "ingest floor: raw better-sqlite3 inserts, 500/txn", value: floor, unit: "events/s" },
    { name: "ingest: 1 WS client, acks, stored in SQLite", value: hub, unit: "events/s", baseline: "raw better-sqlite3", ratio: hub / floor, target: ">= 20,000/s", pass: hub >= 20_000 },
  ];
}

/** The same rows inserted straight into SQLite (WAL, synchronous=NORMAL), 500 per transaction. */
function rawSqliteInserts(events: readonly Envelope[]): number {
  const dir = mkdtempSync(join(tmpdir(), "events-bench-sqlite-"));
  const database = new BetterSqlite3(join(dir, "floor.db"));
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.exec("create table events (seq integer primary key autoincrement, event_id text not null unique, project_uuid text, channel text not null, event_type text not null, lamport_clock integer not null, node_id text not null, envelope text not null, received_at text not null)");
  const insert = database.prepare("insert into events (event_id, project_uuid, channel, event_type, lamport_clock, node_id, envelope, received_at) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (event_id) do nothing");
  const write = database.transaction((rows: readonly Envelope[]) => {
    const at = new Date().toISOString();
    for (const event of rows) insert.run(event.event_id, event.project_uuid, channelOf(event), event.event_type, event.lamport_clock, event.node_id, JSON.stringify(event), at);
  });
  const started = now();
  for (let start = 0; start < events.length; start += 500) write(events.slice(start, start + 500));
  const rate = events.length / ((now() - started) / 1000);
  database.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

// ----------------------------------------------------------------- memory ----

async function memory(clients: Child): Promise<BenchRow[]> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    const child = server(["--expose-gc"]);
    const { port } = await child.request<{ cmd: string; port: number }>({ cmd: "start", kind: "hub", token: TOKEN });
    const before = await child.request<{ cmd: string; rss: number; heap: number; external: number }>({ cmd: "memory" });
    await clients.request({ cmd: "open", name: "idle", kind: "idle", port, count: IDLE_CONNECTIONS, token: TOKEN });
    const after = await child.request<{ cmd: string; rss: number; heap: number; external: number; connections: number }>({ cmd: "memory" });
    if (after.connections !== IDLE_CONNECTIONS) throw new Error(`expected ${IDLE_CONNECTIONS} connections, hub has ${after.connections}`);
    rss.push((after.rss - before.rss) / IDLE_CONNECTIONS / 1024);
    heap.push((after.heap + after.external - before.heap - before.external) / IDLE_CONNECTIONS / 1024);
    await clients.request({ cmd: "close", name: "idle" });
    await child.request({ cmd: "stop" });
    await child.stop();
  }
  const value = median(rss);
  return [
    { name: `memory per idle WS connection (RSS delta / ${IDLE_CONNECTIONS})`, value, unit: "KB", target: "<= 16 KB", pass: value <= 16 },
    { name: `  of which JS heap + external (after GC)`, value: median(heap), unit: "KB" },
  ];
}

// ------------------------------------------------------------------- main ----

/** `BENCH_ONLY=fanout,latency,ingest,memory` runs a subset (all by default). */
const ONLY = new Set((process.env["BENCH_ONLY"] ?? "fanout,latency,ingest,memory").split(","));

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const clients = new Child(new URL("./children/clients.ts", import.meta.url));
  const hub = server();
  try {
    const { port } = await hub.request<{ cmd: string; port: number }>({ cmd: "start", kind: "hub", token: TOKEN });
    if (ONLY.has("fanout")) rows.push(...(await fanout(clients, port)));
    if (ONLY.has("latency")) {
      log("latency");
      rows.push(await latencyOne(port));
      rows.push(await latencyThousand(clients, port));
    }
    await hub.request({ cmd: "stop" });
    if (ONLY.has("ingest")) {
      log("ingest");
      rows.push(...(await ingest()));
    }
    if (ONLY.has("memory")) {
      log("memory");
      rows.push(...(await memory(clients)));
    }
  } finally {
    await hub.stop();
    await clients.stop();
  }
  report("@events/server", rows);
}

await main();
