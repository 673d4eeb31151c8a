/**
 * Ingest: one WebSocket client publishing frames of 500 events with 8 in flight,
 * until the last ack, into a fresh hub on SQLite; next to raw better-sqlite3
 * inserts of the same rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { channelOf, type Envelope } from "@events/schema";
import { median, type BenchRow } from "../../../../scripts/bench-kit.js";
import { benchEvents } from "../lib/events.js";
import { now } from "../lib/ipc.js";
import { frames, publisher, RUNS, server, TOKEN, waitUntil } from "../lib/setup.js";

const INGEST_EVENTS = 60_000;

export async function ingest(): Promise<BenchRow[]> {
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
    { name: "ingest (batched) floor: raw better-sqlite3 inserts, 500/txn", value: floor, unit: "events/s" },
    { name: "ingest (batched, 500 events/frame): 1 WS client, acks, stored in SQLite", value: hub, unit: "events/s", baseline: "raw better-sqlite3", ratio: hub / floor, target: ">= 20,000/s", pass: hub >= 20_000 },
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
