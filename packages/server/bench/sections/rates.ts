/**
 * Publish->deliver at fixed offered rates (issue #16): the hub, the raw `ws` floor
 * and Socket.IO 4, each with 1,000 subscribers (raw clients in the client process)
 * and a publisher in a process of its own sending one event per frame at 50, 80 and
 * 200 events/s. Per cell: p50/p99 over every delivery (when the event's bytes
 * reached a subscriber's process, before parsing, minus when the publisher handed
 * the frame to its socket; one clock, lib/ipc `now`), deliveries/s achieved and the
 * server's peak RSS. Each run starts fresh servers, warms them up and goes up the
 * rates, the systems in another order each run; the rows (sections/rates-rows.ts)
 * are medians over runs. With `taskset`, servers run on CPU 0, subscribers on CPU 1.
 * To weigh a change on a shared machine, run two builds side by side in one run
 * (`BENCH_HUB_COMPARE`, `BENCH_HUB_MODULE`; `BENCH_RATE_SYSTEMS` leaves systems out):
 * only ratios measured interleaved mean anything there. `BENCH_HUB_EXEC_ARGV` passes
 * flags (`--cpu-prof`) to the hubs' processes.
 */
import { percentile, type BenchRow } from "../../../../scripts/bench-kit.js";
import type { Watched } from "../children/server.js";
import { busyMs, pin, PINNING } from "../lib/cpu.js";
import type { DeliverySummary } from "../lib/deliveries.js";
import { benchEvents } from "../lib/events.js";
import { now, type Child, type Message } from "../lib/ipc.js";
import { NativeSubscribers } from "../lib/native-subscribers.js";
import { log, publishers, server, subscribers, SUBSCRIBERS, TOKEN } from "../lib/setup.js";
import { rateRows, SYSTEMS, type CellResult, type RateSystem } from "./rates-rows.js";

/** Offered rates in events/s (`BENCH_RATES`). @default 50,80,200 */
const RATES = (process.env["BENCH_RATES"] ?? "50,80,200").split(",").map(Number);
/** Seconds of publishing per cell (`BENCH_RATE_SECONDS`). @default 5 */
const SECONDS = Number(process.env["BENCH_RATE_SECONDS"] ?? 5);
/**
 * Runs, each on fresh servers (`BENCH_RUNS`). Five, not three: on a shared two-core
 * machine the floor's own p99 moves by 3x between runs of one bench (5.2-14.8 ms at
 * 80 ev/s), and a median of three ratios follows one unlucky run. @default 5
 */
const RATE_RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
/** How long after the last publish the subscribers may take to get everything. */
const DRAIN_MS = 30_000;
/** Node flags for the hubs' processes only (`BENCH_HUB_EXEC_ARGV`, space-separated), e.g. `--cpu-prof --cpu-prof-dir=prof`. */
const HUB_EXEC_ARGV = (process.env["BENCH_HUB_EXEC_ARGV"] ?? "").split(" ").filter((arg) => arg !== "");
const SERVER_CPU = 0;
const LOAD_CPU = 1;

interface Load {
  readonly clients: Pick<Child, "process" | "request" | "stop">;
  readonly publisher: Child;
}

export async function rates(): Promise<BenchRow[]> {
  // The subscribers in C where the machine can build them: the Node ones saturate their core at 200 ev/s.
  const native = await NativeSubscribers.start();
  const instrument = typeof native === "string" ? `subscribers in Node (the C ones could not run: ${native})` : "subscribers in C (bench/native)";
  const load: Load = { clients: typeof native === "string" ? subscribers() : native, publisher: publishers() };
  // The publisher is left to the scheduler: pinned next to the subscribers it was
  // starved by whatever else ran on that CPU, and a late publisher sends bursts.
  pin(load.clients.process.pid, LOAD_CPU);
  const pinning = PINNING ? `servers pinned to CPU ${SERVER_CPU}, subscribers to CPU ${LOAD_CPU} (taskset), publisher unpinned` : "not pinned (no taskset or one CPU)";
  const placement = `${pinning}; ${instrument}`;
  log(`rates: ${RATES.join(", ")} ev/s x ${SUBSCRIBERS}, ${SECONDS} s per cell, ${RATE_RUNS} runs; ${placement}`);
  const results = new Map<string, CellResult[]>();
  try {
    for (let run = 0; run < RATE_RUNS; run++) {
      const servers = await startServers(load);
      try {
        // Warm-up, not counted: JIT and connection buffers, at the lowest rate.
        for (const system of SYSTEMS) await cell(load, servers.get(system.key)!, { system, rate: RATES[0]!, seconds: 1, warmUp: true });
        const order = SYSTEMS.map((_, index) => SYSTEMS[(index + run) % SYSTEMS.length]!);
        for (const rate of RATES) {
          for (const system of order) {
            const result = await cell(load, servers.get(system.key)!, { system, rate, seconds: SECONDS });
            results.set(`${rate} ${system.key}`, [...(results.get(`${rate} ${system.key}`) ?? []), result]);
          }
        }
      } finally {
        await stopServers(load, servers);
      }
    }
  } finally {
    await Promise.all([load.clients.stop(), load.publisher.stop()]);
  }
  return rateRows(results, { rates: RATES, seconds: SECONDS, runs: RATE_RUNS, placement });
}

/** One fresh server per system, its subscribers subscribed and the publisher connected. */
async function startServers(load: Load): Promise<Map<string, Child>> {
  const servers = new Map<string, Child>();
  for (const system of SYSTEMS) {
    const child = server(system.server === "hub" ? HUB_EXEC_ARGV : []);
    servers.set(system.key, child);
    pin(child.process.pid, SERVER_CPU);
    const { port } = await child.request<Message & { port: number }>({ cmd: "start", kind: system.server, token: TOKEN, module: system.module ?? "" });
    await load.clients.request({ cmd: "open", name: system.key, kind: system.clients, port, count: SUBSCRIBERS, token: TOKEN });
    await load.publisher.request({ cmd: "connect", name: system.key, kind: system.server, port });
  }
  return servers;
}

async function stopServers(load: Load, servers: ReadonlyMap<string, Child>): Promise<void> {
  for (const [name, child] of servers) {
    if (child.process.exitCode === null) {
      await load.publisher.request({ cmd: "disconnect", name }).catch(() => undefined);
      await load.clients.request({ cmd: "close", name });
      await child.request({ cmd: "stop" });
    }
    await child.stop();
  }
}

/** Publishes `rate` x `seconds` events one per frame, and waits until every subscriber got them (or DRAIN_MS). */
async function cell(load: Load, target: Child, offer: { system: RateSystem; rate: number; seconds: number; warmUp?: boolean }): Promise<CellResult> {
  const { system, rate } = offer;
  const events = benchEvents(Math.round(rate * offer.seconds));
  await load.clients.request({ cmd: "track", name: system.key, prefix: events.prefix, count: events.length });
  await target.request({ cmd: "watch" });
  const machine = { busy: busyMs(), at: now() };
  const { sent, acked } = await load.publisher.request<Message & { sent: number[]; acked: number[] }>({ cmd: "run", name: system.key, rate, events: events.map((event) => JSON.stringify(event)) });
  const seen = await load.clients.request<Message & DeliverySummary>({ cmd: "collect", sent, timeoutMs: DRAIN_MS });
  const watched = await target.request<Message & Watched>({ cmd: "watched" });
  // Everything else that ran meanwhile (other work on a shared machine), in cores.
  const others = (busyMs() - machine.busy) / (now() - machine.at) - watched.cpu - seen.cpu;
  const late = percentile(sent.map((at, index) => at - sent[0]! - (index * 1000) / rate), 99);
  const arrived = (latencies: readonly number[], p: number): string => percentile(latencies.filter((latency) => latency >= 0), p).toFixed(1);
  // The hub acks after the commit and after handing the event to every subscriber's socket.
  const ack = acked.map((at, index) => at - sent[index]!);
  const commits =
    watched.commits === 0
      ? ""
      : `; ${watched.commits} commits, mean ${((watched.commitSeconds / watched.commits) * 1000).toFixed(2)} ms, ${(events.length / watched.commits).toFixed(1)} events each; ack p50 ${percentile(ack, 50).toFixed(1)} p99 ${percentile(ack, 99).toFixed(1)} ms`;
  const lost = seen.expected - seen.delivered;
  log(
    `  ${offer.warmUp === true ? "warm-up " : ""}${rate} ev/s ${system.key}: p50 ${seen.p50.toFixed(1)} p99 ${seen.p99.toFixed(1)} max ${seen.max.toFixed(1)} ms, to the first of ${SUBSCRIBERS} p50 ${arrived(seen.first, 50)}, to the last p50 ${arrived(seen.last, 50)} p99 ${arrived(seen.last, 99)} ms; ` +
      `${Math.round(seen.perSecond)}/s${lost > 0 ? `, ${lost} lost` : ""}${watched.drops > 0 ? `, ${watched.drops} dropped` : ""}; ` +
      `server CPU ${(watched.cpu * 100).toFixed(0)}% (kernel ${(watched.systemCpu * 100).toFixed(0)}%, ${((watched.cpu * (now() - machine.at)) / events.length).toFixed(1)} ms per event), RSS ${(watched.rssStart / 2 ** 20).toFixed(0)} -> peak ${(watched.rss / 2 ** 20).toFixed(0)} MB${commits}; ` +
      `subscribers CPU ${(seen.cpu * 100).toFixed(0)}% (kernel ${(seen.systemCpu * 100).toFixed(0)}%); publisher late p99 ${late.toFixed(1)} ms; everything else ${(others * 100).toFixed(0)}% of a core`,
  );
  return { p50: seen.p50, p99: seen.p99, perSecond: seen.perSecond, rssMb: watched.rss / 2 ** 20, rssStartMb: watched.rssStart / 2 ** 20, lost, serverCpu: watched.cpu, clientsCpu: seen.cpu, othersCpu: others, lateMs: late };
}
