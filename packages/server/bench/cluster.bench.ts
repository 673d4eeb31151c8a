/**
 * @events/server cluster benchmark: hub nodes as separate processes on the
 * machine's PostgreSQL and Redis (each run on a database and channel prefix of its
 * own, dropped afterwards).
 *
 *  - throughput: events/s published over WebSocket (frames of 100, the same number
 *    of frames in flight in total) until every event is acked *and* delivered to a
 *    subscriber on every node: three nodes against one node on the same PostgreSQL.
 *  - p99 publish-to-deliver across nodes: 100 events/s published one at a time on
 *    node A, received by a subscriber on node B (one process, one clock), next to
 *    the same on a single node.
 *
 * Runs alternate between the systems; the table shows medians of `BENCH_CLUSTER_RUNS`
 * (3) runs. Without PostgreSQL or Redis it says which is missing and writes no rows.
 */
import WebSocket from "ws";
import { median, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { freshDatabase, postgresMissing, publishSpread, redisMissing, REDIS_URL, startNode, uniquePrefix, type NodeProcess } from "../test/cluster/harness.js";
import { ADMIN } from "../test/cluster/harness.js";
import { benchEvents } from "./lib/events.js";
import { log } from "./lib/setup.js";

const RUNS = Number(process.env["BENCH_CLUSTER_RUNS"] ?? 3);
const EVENTS = Number(process.env["BENCH_CLUSTER_EVENTS"] ?? 20_000);
const FRAMES_IN_FLIGHT = 9;
const LATENCY_SAMPLES = Number(process.env["BENCH_CLUSTER_SAMPLES"] ?? 500);

interface Cluster {
  readonly nodes: NodeProcess[];
  stop(): Promise<void>;
}

async function cluster(count: number): Promise<Cluster> {
  const database = await freshDatabase();
  const prefix = uniquePrefix();
  const nodes: NodeProcess[] = [];
  const start = (index: number): Promise<NodeProcess> =>
    startNode({ databaseUrl: database.url, redisUrl: REDIS_URL, prefix, nodeId: `bench-${index}` }).then((node) => {
      nodes.push(node);
      return node;
    });
  await start(1);
  await Promise.all(Array.from({ length: count - 1 }, (_, index) => start(index + 2)));
  return {
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.kill("SIGTERM")));
      await database.drop();
    },
  };
}

/** A subscriber that only counts `message` frames (the bench measures the hub, not JSON parsing). */
async function counter(wsUrl: string): Promise<{ count: () => number; close: () => void }> {
  const ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (data: Buffer) => {
      const head = data.subarray(0, 20).toString();
      if (head.includes('"message"')) count++;
      else if (head.includes('"subscribed"')) resolve();
    });
    ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", sub: "b", channel: "events" })));
  });
  return { count: () => count, close: () => ws.close() };
}

async function until(check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("bench step timed out");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Events/s until every event is acked and delivered to a subscriber on every node. */
async function throughput(nodeCount: number): Promise<number> {
  const running = await cluster(nodeCount);
  try {
    const urls = running.nodes.map((node) => node.wsUrl);
    const subscribers = await Promise.all(urls.map((url) => counter(url)));
    const events = benchEvents(EVENTS);
    const started = performance.now();
    await publishSpread(events, urls, { frameSize: 100, inFlight: FRAMES_IN_FLIGHT / nodeCount });
    await until(() => subscribers.every((subscriber) => subscriber.count() >= EVENTS));
    const seconds = (performance.now() - started) / 1000;
    for (const subscriber of subscribers) subscriber.close();
    return EVENTS / seconds;
  } finally {
    await running.stop();
  }
}

/** Publish-to-deliver latencies (ms): one event at a time at 100/s on `from`, received on `to`. */
async function latencies(nodeCount: number): Promise<number[]> {
  const running = await cluster(nodeCount);
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

async function main(): Promise<void> {
  const missing = (await postgresMissing()) ?? (await redisMissing());
  if (missing !== undefined) {
    process.stderr.write(`[bench] cluster bench skipped: ${missing}\n`);
    return;
  }
  const single: number[] = [];
  const three: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    log(`cluster throughput run ${run + 1}/${RUNS}`);
    single.push(await throughput(1));
    three.push(await throughput(3));
  }
  const singleP99: number[] = [];
  const acrossP99: number[] = [];
  const across: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    log(`cluster latency run ${run + 1}/${RUNS}`);
    singleP99.push(percentile(await latencies(1), 99));
    const samples = await latencies(3);
    across.push(...samples);
    acrossP99.push(percentile(samples, 99));
  }
  const rows: BenchRow[] = [
    {
      name: `throughput, 3 nodes (${EVENTS.toLocaleString("en-US")} events, acked + delivered on every node)`,
      value: median(three),
      unit: "events/s",
      baseline: `1 node, same PostgreSQL: ${Math.round(median(single)).toLocaleString("en-US")}/s`,
      ratio: median(three) / median(single),
    },
    {
      name: "p99 publish->deliver across nodes (A -> B, 100 ev/s)",
      value: median(acrossP99),
      unit: "ms",
      baseline: `1 node: ${median(singleP99).toFixed(1)} ms`,
      ratio: median(singleP99) / median(acrossP99),
    },
    { name: "p50 publish->deliver across nodes", value: percentile(across, 50), unit: "ms" },
  ];
  log(`throughput runs: 1 node ${single.map(Math.round).join(", ")}; 3 nodes ${three.map(Math.round).join(", ")}`);
  log(`p99 runs (ms): 1 node ${singleP99.map((v) => v.toFixed(1)).join(", ")}; across ${acrossP99.map((v) => v.toFixed(1)).join(", ")}`);
  report("@events/server (cluster)", rows);
}

await main();
