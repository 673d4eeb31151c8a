/**
 * @events/server cluster benchmark: hub nodes as separate processes on the
 * machine's PostgreSQL and Redis (each run on a database and channel prefix of its
 * own, dropped afterwards).
 *
 *  - ingest: events/s published by the same 8 WebSocket producers (frames of 100,
 *    two in flight each) until every event is acked *and* delivered to each of 3
 *    subscribers (clients spread over the nodes); 3 nodes against 1 node on the same
 *    PostgreSQL, with the events spread over 8 projects (a producer each: 8 streams,
 *    whose appends never wait for each other), all in one project (one stream:
 *    appends take turns), and 8 projects mixed in every frame (every transaction
 *    takes every stream's row: they take turns again).
 *    Where the work went is logged per event: CPU of the nodes, PostgreSQL, Redis and
 *    the load, write transactions, bus messages.
 *  - p99 publish-to-deliver across nodes: 100 events/s published one at a time on
 *    node A, received by a subscriber on node B (one process, one clock), next to
 *    the same on a single node.
 *
 * Runs interleave the four ingest setups (so a slow minute of the machine hits all
 * of them); the table shows medians of `BENCH_CLUSTER_RUNS` (5) runs and their
 * spread (lowest-highest). Without PostgreSQL or Redis it says which is missing and
 * writes no rows.
 */
import WebSocket from "ws";
import type { Envelope } from "@events/schema";
import { median, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { projects, publishSpread, spread } from "../test/cluster/clients.js";
import { ADMIN, postgresMissing, redisMissing, until } from "../test/cluster/harness.js";
import { counter, lockWaits, readWork, spent, startCluster, type Work } from "./lib/cluster.js";
import { benchEvents } from "./lib/events.js";
import { log } from "./lib/setup.js";

const RUNS = Number(process.env["BENCH_CLUSTER_RUNS"] ?? 5);
const EVENTS = Number(process.env["BENCH_CLUSTER_EVENTS"] ?? 20_000);
const LATENCY_SAMPLES = Number(process.env["BENCH_CLUSTER_SAMPLES"] ?? 500);
const LATENCY_RUNS = Number(process.env["BENCH_CLUSTER_LATENCY_RUNS"] ?? 3);
const SPREAD_PROJECTS = 8;

interface Setup {
  readonly nodes: 1 | 3;
  readonly projects: number;
  /**
   * `producers`: each producer's frames hold one project (an SDK outbox is one
   * project's; with 8 projects, producer p sends project p). `mixed`: every frame
   * mixes all projects, so every transaction takes every stream's row.
   */
  readonly frames: "producers" | "mixed";
}

const SETUPS: readonly Setup[] = [
  { nodes: 1, projects: SPREAD_PROJECTS, frames: "producers" },
  { nodes: 3, projects: SPREAD_PROJECTS, frames: "producers" },
  { nodes: 1, projects: 1, frames: "producers" },
  { nodes: 3, projects: 1, frames: "producers" },
  { nodes: 1, projects: SPREAD_PROJECTS, frames: "mixed" },
  { nodes: 3, projects: SPREAD_PROJECTS, frames: "mixed" },
];

/**
 * The same clients whatever the number of nodes: `PRODUCERS` WebSocket producers,
 * each with `PRODUCER_IN_FLIGHT` frames of `FRAME` events in flight, and
 * `SUBSCRIBERS` subscribers, spread over the nodes round robin (as a load balancer would).
 */
const PRODUCERS = SPREAD_PROJECTS;
/** Subscribers to every stream: one per node of the largest cluster, all on the one node of the smallest. */
const SUBSCRIBERS = 3;
const PRODUCER_IN_FLIGHT = 2;
const FRAME = 100;

/** Each producer's node and events, in sending order. */
function workload(setup: Setup): { node: number; events: Envelope[] }[] {
  // Round robin: with 8 projects and 8 producers, event i is project i % 8.
  const events = spread(benchEvents(EVENTS), projects(setup.projects));
  return Array.from({ length: PRODUCERS }, (_, producer) => ({
    node: producer % setup.nodes,
    events:
      setup.frames === "mixed"
        ? events.filter((_, index) => Math.floor(index / FRAME) % PRODUCERS === producer)
        : events.filter((_, index) => index % PRODUCERS === producer),
  }));
}

interface IngestRun {
  readonly rate: number;
  readonly seconds: number;
  readonly work: Work;
  /** Mean sessions waiting for a lock during the run. */
  readonly lockWaiting: number;
}

/** Events/s until every event is acked and delivered to a subscriber on every node. */
async function ingest(setup: Setup): Promise<IngestRun> {
  const running = await startCluster(setup.nodes);
  try {
    const urls = running.nodes.map((node) => node.wsUrl);
    const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, index) => counter(urls[index % urls.length]!)));
    const producers = workload(setup);
    const before = await readWork(running);
    const waits = await lockWaits(running);
    const started = performance.now();
    await Promise.all(producers.map(({ node, events }) => publishSpread(events, [urls[node]!], { frameSize: FRAME, inFlight: PRODUCER_IN_FLIGHT })));
    await until(() => subscribers.every((subscriber) => subscriber.count() >= EVENTS), { timeoutMs: 120_000, what: "every event acked and delivered", pollMs: 2 });
    const seconds = (performance.now() - started) / 1000;
    const lockWaiting = await waits.stop();
    const work = spent(before, await readWork(running));
    for (const subscriber of subscribers) subscriber.close();
    return { rate: EVENTS / seconds, seconds, work, lockWaiting };
  } finally {
    await running.stop();
  }
}

/** Publish-to-deliver latencies (ms): one event at a time at 100/s on `from`, received on `to`. */
async function latencies(nodeCount: number): Promise<number[]> {
  const running = await startCluster(nodeCount);
  try {
    const from = running.nodes[0]!;
    const to = running.nodes[nodeCount - 1]!;
    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    const subscriber = new WebSocket(`${to.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      subscriber.once("error", reject);
      subscriber.on("message", (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { type: string; event?: { event_id: string } };
        if (frame.type === "subscribed") resolve();
        const sent = frame.event === undefined ? undefined : sentAt.get(frame.event.event_id);
        if (sent !== undefined) samples.push(performance.now() - sent);
      });
      subscriber.once("open", () => subscriber.send(JSON.stringify({ type: "subscribe", sub: "l", channel: "events" })));
    });
    const publisher = new WebSocket(`${from.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      publisher.once("open", resolve);
      publisher.once("error", reject);
    });
    publisher.on("message", () => undefined);
    // Warm up (JIT, prepared statements, connections) before sampling.
    const events = benchEvents(LATENCY_SAMPLES + 50);
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!;
      if (index >= 50) sentAt.set(event.event_id, performance.now());
      publisher.send(JSON.stringify({ type: "publish", ref: `l${index}`, events: [event] }));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await until(() => samples.length >= LATENCY_SAMPLES, { timeoutMs: 30_000, what: "the latency samples", pollMs: 2 });
    publisher.close();
    subscriber.close();
    return samples;
  } finally {
    await running.stop();
  }
}

const rate = (value: number): string => Math.round(value).toLocaleString("en-US");
const range = (values: readonly number[]): string => `${rate(Math.min(...values))}-${rate(Math.max(...values))}`;
const label = (setup: Setup): string =>
  `${setup.nodes} node${setup.nodes === 1 ? "" : "s"}, ${setup.projects} project${setup.projects === 1 ? "" : "s"}${setup.frames === "mixed" ? ", mixed frames" : ""}`;

/** Where the work of a setup's runs went, per 1,000 events (medians), for the capacity note. */
function workLine(setup: Setup, runs: readonly IngestRun[]): string {
  const per = (pick: (work: Work) => number): string => median(runs.map((run) => (pick(run.work) / EVENTS) * 1000)).toFixed(0);
  const commits = median(runs.map((run) => run.work.commits / run.seconds));
  const perCommit = median(runs.map((run) => EVENTS / Math.max(1, run.work.commits)));
  const inStore = median(runs.map((run) => run.work.storeSeconds / run.seconds));
  const messages = median(runs.map((run) => run.work.busMessages / run.seconds));
  const waiting = median(runs.map((run) => run.lockWaiting));
  return (
    `${label(setup)}: CPU ms per 1,000 events: nodes ${per((work) => work.nodesCpuMs)}, PostgreSQL ${per((work) => work.postgresCpuMs)}, ` +
    `Redis ${per((work) => work.redisCpuMs)}, load ${per((work) => work.clientCpuMs)}; ${rate(commits)} write transactions/s of ${perCommit.toFixed(0)} events, ` +
    `${inStore.toFixed(2)} in a transaction and ${waiting.toFixed(2)} waiting for a lock on average; ${rate(messages)} bus messages/s`
  );
}

/** 3 nodes against 1 node for one workload; a target makes it a pass/fail row. */
function ingestRow(spreadOver: number, frames: Setup["frames"], results: ReadonlyMap<Setup, IngestRun[]>, target?: { words: string; ratio: number }): BenchRow {
  const setup = (nodes: 1 | 3): Setup => SETUPS.find((candidate) => candidate.nodes === nodes && candidate.projects === spreadOver && candidate.frames === frames)!;
  const one = results.get(setup(1))!.map((run) => run.rate);
  const three = results.get(setup(3))!.map((run) => run.rate);
  const ratio = median(three) / median(one);
  const workloadWords = spreadOver === 1 ? "one project" : frames === "mixed" ? `${spreadOver} projects in every frame` : `${spreadOver} projects, a producer each`;
  return {
    name: `ingest, ${workloadWords}: 3 nodes (runs ${range(three)}/s)`,
    value: median(three),
    unit: "events/s",
    baseline: `1 node, same PostgreSQL: ${rate(median(one))}/s (runs ${range(one)})`,
    ratio,
    ...(target === undefined ? { target: "(information)" } : { target: target.words, pass: ratio >= target.ratio }),
  };
}

async function main(): Promise<void> {
  const missing = (await postgresMissing()) ?? (await redisMissing());
  if (missing !== undefined) {
    process.stderr.write(`[bench] cluster bench skipped: ${missing}\n`);
    return;
  }
  const results = new Map<Setup, IngestRun[]>(SETUPS.map((setup) => [setup, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const setup of SETUPS) {
      const result = await ingest(setup);
      results.get(setup)!.push(result);
      log(`cluster ingest run ${run + 1}/${RUNS}, ${label(setup)}: ${rate(result.rate)} events/s`);
    }
  }
  for (const setup of SETUPS) log(workLine(setup, results.get(setup)!));
  const singleP99: number[] = [];
  const acrossP99: number[] = [];
  const across: number[] = [];
  for (let run = 0; run < LATENCY_RUNS; run++) {
    log(`cluster latency run ${run + 1}/${LATENCY_RUNS}`);
    singleP99.push(percentile(await latencies(1), 99));
    const samples = await latencies(3);
    across.push(...samples);
    acrossP99.push(percentile(samples, 99));
  }
  const rows: BenchRow[] = [
    ingestRow(SPREAD_PROJECTS, "producers", results, { words: ">= 1.5x one node", ratio: 1.5 }),
    ingestRow(1, "producers", results, { words: ">= 0.84x one node (as before streams)", ratio: 0.84 }),
    ingestRow(SPREAD_PROJECTS, "mixed", results),
    {
      name: "p99 publish->deliver across nodes (A -> B, 100 ev/s)",
      value: median(acrossP99),
      unit: "ms",
      baseline: `1 node: ${median(singleP99).toFixed(1)} ms`,
      ratio: median(singleP99) / median(acrossP99),
    },
    { name: "p50 publish->deliver across nodes", value: percentile(across, 50), unit: "ms" },
  ];
  log(`p99 runs (ms): 1 node ${singleP99.map((v) => v.toFixed(1)).join(", ")}; across ${acrossP99.map((v) => v.toFixed(1)).join(", ")}`);
  report("@events/server (cluster)", rows);
}

await main();
