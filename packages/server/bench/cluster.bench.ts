/**
 * @events/server cluster benchmark: hub nodes as separate processes on the
 * machine's PostgreSQL and Redis (each run on a database and channel prefix of its
 * own, dropped afterwards).
 *
 *  - ingest: events/s published over WebSocket (frames of 100, the same number of
 *    frames in flight in total) until every event is acked *and* delivered to a
 *    subscriber on every node; 3 nodes against 1 node on the same PostgreSQL, with
 *    the events spread over 8 projects (8 streams, whose appends never wait for each
 *    other) and with all of them in one project (one stream: appends take turns).
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
import { median, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { projects, publishSpread, spread } from "../test/cluster/clients.js";
import { ADMIN, postgresMissing, redisMissing } from "../test/cluster/harness.js";
import { counter, readWork, spent, startCluster, until, type Work } from "./lib/cluster.js";
import { benchEvents } from "./lib/events.js";
import { log } from "./lib/setup.js";

const RUNS = Number(process.env["BENCH_CLUSTER_RUNS"] ?? 5);
const EVENTS = Number(process.env["BENCH_CLUSTER_EVENTS"] ?? 20_000);
const FRAMES_IN_FLIGHT = 9;
const LATENCY_SAMPLES = Number(process.env["BENCH_CLUSTER_SAMPLES"] ?? 500);
const LATENCY_RUNS = Number(process.env["BENCH_CLUSTER_LATENCY_RUNS"] ?? 3);
const SPREAD_PROJECTS = 8;

interface Setup {
  readonly nodes: 1 | 3;
  readonly projects: number;
}

const SETUPS: readonly Setup[] = [
  { nodes: 1, projects: SPREAD_PROJECTS },
  { nodes: 3, projects: SPREAD_PROJECTS },
  { nodes: 1, projects: 1 },
  { nodes: 3, projects: 1 },
];

interface IngestRun {
  readonly rate: number;
  readonly seconds: number;
  readonly work: Work;
}

/** Events/s until every event is acked and delivered to a subscriber on every node. */
async function ingest(setup: Setup): Promise<IngestRun> {
  const running = await startCluster(setup.nodes);
  try {
    const urls = running.nodes.map((node) => node.wsUrl);
    const subscribers = await Promise.all(urls.map((url) => counter(url)));
    const events = spread(benchEvents(EVENTS), projects(setup.projects));
    const before = await readWork(running);
    const started = performance.now();
    await publishSpread(events, urls, { frameSize: 100, inFlight: FRAMES_IN_FLIGHT / setup.nodes });
    await until(() => subscribers.every((subscriber) => subscriber.count() >= EVENTS));
    const seconds = (performance.now() - started) / 1000;
    const work = spent(before, await readWork(running));
    for (const subscriber of subscribers) subscriber.close();
    return { rate: EVENTS / seconds, seconds, work };
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
    await until(() => samples.length >= LATENCY_SAMPLES, 30_000);
    publisher.close();
    subscriber.close();
    return samples;
  } finally {
    await running.stop();
  }
}

const rate = (value: number): string => Math.round(value).toLocaleString("en-US");
const range = (values: readonly number[]): string => `${rate(Math.min(...values))}-${rate(Math.max(...values))}`;
const label = (setup: Setup): string => `${setup.nodes} node${setup.nodes === 1 ? "" : "s"}, ${setup.projects} project${setup.projects === 1 ? "" : "s"}`;

/** Where the work of a setup's runs went, per 1,000 events (medians), for the capacity note. */
function workLine(setup: Setup, runs: readonly IngestRun[]): string {
  const per = (pick: (work: Work) => number): string => median(runs.map((run) => (pick(run.work) / EVENTS) * 1000)).toFixed(0);
  const commits = median(runs.map((run) => run.work.commits / run.seconds));
  const perCommit = median(runs.map((run) => EVENTS / Math.max(1, run.work.commits)));
  const inStore = median(runs.map((run) => run.work.storeSeconds / run.seconds));
  const messages = median(runs.map((run) => run.work.busMessages / run.seconds));
  return (
    `${label(setup)}: CPU ms per 1,000 events: nodes ${per((work) => work.nodesCpuMs)}, PostgreSQL ${per((work) => work.postgresCpuMs)}, ` +
    `Redis ${per((work) => work.redisCpuMs)}, load ${per((work) => work.clientCpuMs)}; ${rate(commits)} write transactions/s of ${perCommit.toFixed(0)} events, ` +
    `${inStore.toFixed(2)} in a transaction on average; ${rate(messages)} bus messages/s`
  );
}

function ingestRow(spreadOver: number, target: { words: string; ratio: number }, results: ReadonlyMap<Setup, IngestRun[]>): BenchRow {
  const setup = (nodes: 1 | 3): Setup => SETUPS.find((candidate) => candidate.nodes === nodes && candidate.projects === spreadOver)!;
  const one = results.get(setup(1))!.map((run) => run.rate);
  const three = results.get(setup(3))!.map((run) => run.rate);
  const ratio = median(three) / median(one);
  const projectsWords = spreadOver === 1 ? "one project" : `${spreadOver} projects`;
  return {
    name: `ingest, ${projectsWords}: 3 nodes (runs ${range(three)}/s)`,
    value: median(three),
    unit: "events/s",
    baseline: `1 node, same PostgreSQL: ${rate(median(one))}/s (runs ${range(one)})`,
    ratio,
    target: target.words,
    pass: ratio >= target.ratio,
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
    ingestRow(SPREAD_PROJECTS, { words: ">= 1.5x one node", ratio: 1.5 }, results),
    ingestRow(1, { words: ">= 0.84x one node (as before streams)", ratio: 0.84 }, results),
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
