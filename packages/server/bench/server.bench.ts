/**
 * @events/server benchmark: fan-out, latency, fixed offered rates, ingest and memory,
 * side by side with the floors (raw `ws` / raw SSE writing one pre-built buffer per
 * event, raw better-sqlite3 inserts) and with Socket.IO 4, in one run. Fan-out and
 * ingest publish in batches (their rows say "batched"); latency and rates publish
 * one event per frame.
 *
 * How it measures: each server runs alone in a child process (bench/children/
 * server.ts); the 1,000 subscribers run in another child (bench/children/clients.ts)
 * as raw TCP clients that only scan for the last event's id, so the servers are
 * measured, not the clients. Runs alternate between systems and the table shows
 * medians. The hub is imported as `@events/server`: ../dist at run time (build
 * first; turbo does), src for the type checker (the @events/source condition).
 */
import { report, type BenchRow } from "../../../scripts/bench-kit.js";
import { log, server, subscribers, TOKEN } from "./lib/setup.js";
import { fanout } from "./sections/fanout.js";
import { ingest } from "./sections/ingest.js";
import { latencyOne, latencyThousand } from "./sections/latency.js";
import { memory } from "./sections/memory.js";
import { rates } from "./sections/rates.js";

/** `BENCH_ONLY=fanout,latency,rates,ingest,memory` runs a subset (all by default). */
const ONLY = new Set((process.env["BENCH_ONLY"] ?? "fanout,latency,rates,ingest,memory").split(","));

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const clients = subscribers();
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
    if (ONLY.has("rates")) {
      log("rates");
      rows.push(...(await rates()));
    }
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
