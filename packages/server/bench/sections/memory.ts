/**
 * Memory per idle WebSocket connection: a fresh hub in a process started with
 * --expose-gc; RSS after GC before and after 5,000 authenticated idle connections
 * (raw clients that said hello and got welcome), divided by 5,000. The JS heap +
 * external share is reported too.
 */
import { median, type BenchRow } from "../../../../scripts/bench-kit.js";
import type { Child } from "../lib/ipc.js";
import { RUNS, server, TOKEN } from "../lib/setup.js";

const IDLE_CONNECTIONS = 5_000;

export async function memory(clients: Child): Promise<BenchRow[]> {
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
