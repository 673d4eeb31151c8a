/**
 * `pnpm soak [--minutes 10] [--subscribers 1000] [--rate 20]`: a long run of the hub
 * under steady fan-out, to catch leaks and lost events that short benchmarks miss.
 * Not part of `pnpm test`. Everything runs over loopback and stops by itself.
 *
 *  - the hub: its real entry point (`src/main.ts` from source, default options,
 *    SQLite in a temp dir) in a process of its own, started by @events/server/testing;
 *  - the subscribers: raw WebSocket clients (the bench's) in one child process
 *    (scripts/soak-subscribers.ts), each checking that it sees every seq once, in order;
 *  - the publisher: here, one event per `publish` frame at `--rate` events/s, so
 *    deliveries are rate x subscribers per second (20 x 1,000 = 20,000/s).
 *
 * Each minute it prints the hub's RSS (from /proc) and JS heap (its /metrics),
 * deliveries/s and the p50/p99 time from publish to delivery to the *last*
 * subscriber. It exits 1 unless: RSS at the end is at most 5% above RSS after
 * minute 1, no subscriber missed, repeated or reordered a seq (0 gaps), every
 * publish was acked, and deliveries kept up with the target rate.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchEvents } from "../packages/server/bench/lib/events.js";
import { Child, now } from "../packages/server/bench/lib/ipc.js";
import { publisher, TOKEN } from "../packages/server/bench/lib/setup.js";
import { spawnHub, type HubProcess } from "../packages/server/src/testing.js";
import { percentile } from "./bench-kit.js";

const MAX_RSS_GROWTH = 0.05;
/** Deliveries may fall this far below rate x subscribers before the run counts as not under load. */
const MIN_LOAD = 0.95;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    subscribers: { type: "string", default: "1000" },
    rate: { type: "string", default: "20" },
  },
});
const MINUTES = Number(values.minutes);
const SUBSCRIBERS = Number(values.subscribers);
const RATE = Number(values.rate);
if (!Number.isInteger(MINUTES) || MINUTES < 2 || !Number.isInteger(SUBSCRIBERS) || SUBSCRIBERS < 1 || !(RATE > 0 && RATE <= 1_000)) {
  process.stderr.write("usage: pnpm soak [--minutes N (>= 2, whole)] [--subscribers N] [--rate events/s (<= 1000)]\n");
  process.exit(2);
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const count = (value: number): string => Math.round(value).toLocaleString("en-US");

interface Check {
  name: string;
  value: string;
  target?: string;
  pass?: boolean;
}

/** The hub's resident set size, as the kernel counts it. */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The hub's used JS heap, from its Prometheus metrics (prom-client's process metrics). */
async function heapOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^events_hub_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** What the subscriber process reports (a type, not an interface: IPC replies are index-signed). */
type Collected = {
  cmd: string;
  deliveries: number;
  complete: Array<[number, number]>;
  subscribers: number;
  closed: number;
  skipped: number;
  repeated: number;
  gapFrames: number;
};

type Final = Omit<Collected, "deliveries" | "complete"> & {
  short: number;
  examples: string[];
};

async function soak(hub: HubProcess, subscribers: Child): Promise<boolean> {
  const port = Number(new URL(hub.url).port);
  const pid = hub.child.pid!;
  const opening = now();
  await subscribers.request({ cmd: "open", port, count: SUBSCRIBERS, token: TOKEN });
  say(`${SUBSCRIBERS} subscribers connected in ${ms(now() - opening)}; publishing ${RATE} events/s for ${MINUTES} min (${count(RATE * SUBSCRIBERS)} deliveries/s)`);

  const pub = await publisher(port);
  const sentByRef = new Map<string, number>();
  const sentBySeq = new Map<number, number>();
  const ackedSeqs: number[] = [];
  let publishErrors = 0;
  pub.socket.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { type: string; ref?: string; results?: Array<{ status: string; seq?: number }> };
    if (frame.ref === undefined) return;
    const sentAt = sentByRef.get(frame.ref);
    sentByRef.delete(frame.ref);
    const result = frame.results?.[0];
    if (frame.type !== "ack" || result?.status !== "accepted" || result.seq === undefined || sentAt === undefined) {
      publishErrors++;
      return;
    }
    ackedSeqs.push(result.seq);
    sentBySeq.set(result.seq, sentAt);
  });

  // Paced by due times, not by intervals: a late timer sends what is due at once.
  const intervalMs = 1_000 / RATE;
  const started = now();
  let sent = 0;
  let pacing: NodeJS.Timeout | undefined;
  const pace = (): void => {
    while (now() >= started + sent * intervalMs) {
      const ref = `p${sent}`;
      sentByRef.set(ref, now());
      pub.socket.send(JSON.stringify({ type: "publish", ref, events: benchEvents(1) }));
      sent++;
    }
    pacing = setTimeout(pace, Math.max(0, started + sent * intervalMs - now()));
  };
  const rssStart = rssOf(pid);
  say(`start     rss ${mb(rssStart)}  heap ${mb(await heapOf(hub.url))}`);
  pace();

  const rss: number[] = [];
  const latencies: number[] = [];
  let unmatched: Array<[number, number]> = [];
  let delivered = 0;
  let minuteStarted = started;
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + minute * 60_000 - now())));
    const collected = await subscribers.request<Collected>({ cmd: "collect" });
    const at = now();
    rss.push(rssOf(pid));
    const heap = await heapOf(hub.url);
    // An event can reach every subscriber before its ack reaches the publisher: match it next minute.
    const minute_: number[] = [];
    const pending: Array<[number, number]> = [];
    for (const [seq, time] of [...unmatched, ...collected.complete]) {
      const sentAt = sentBySeq.get(seq);
      if (sentAt === undefined) pending.push([seq, time]);
      else {
        sentBySeq.delete(seq);
        minute_.push(time - sentAt);
      }
    }
    unmatched = pending;
    latencies.push(...minute_);
    delivered += collected.deliveries;
    const perSecond = collected.deliveries / ((at - minuteStarted) / 1_000);
    minuteStarted = at;
    const gaps = collected.skipped + collected.repeated + collected.gapFrames;
    say(
      `minute ${String(minute).padStart(2)}  rss ${mb(rss.at(-1)!)}  heap ${mb(heap)}  delivered ${count(perSecond)}/s` +
        `  p50 ${minute_.length === 0 ? "-" : ms(percentile(minute_, 50))}  p99 ${minute_.length === 0 ? "-" : ms(percentile(minute_, 99))}` +
        `  acked ${count(ackedSeqs.length)}  gaps ${gaps}  closed ${collected.closed}`,
    );
  }
  clearTimeout(pacing);
  const elapsed = (now() - started) / 1_000;

  // Every publish answered, then every subscriber at the last acked seq (both bounded).
  const answered = Date.now();
  while (sentByRef.size > 0 && Date.now() - answered < 30_000) await new Promise((resolve) => setTimeout(resolve, 50));
  const unanswered = sentByRef.size;
  pub.close();
  const sorted = [...ackedSeqs].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const lastSeq = sorted.at(-1) ?? 0;
  const contiguous = sorted.every((seq, index) => seq === first + index);
  const final = await subscribers.request<Final>({ cmd: "final", first, last: lastSeq, count: sorted.length });
  const gaps = final.skipped + final.repeated + final.gapFrames + final.closed + final.short;
  for (const example of final.examples) say(`  subscriber behind: ${example}`);

  const growth = rss.at(-1)! / rss[0]! - 1;
  const deliveredPerSecond = delivered / elapsed;
  const target = RATE * SUBSCRIBERS;
  const p = (q: number): string => (latencies.length === 0 ? "-" : ms(percentile(latencies, q)));
  const checks: Check[] = [
    {
      name: "hub RSS growth after minute 1",
      value: `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}% (${mb(rss[0]!)} -> ${mb(rss.at(-1)!)}, peak ${mb(Math.max(...rss))})`,
      target: `<= ${MAX_RSS_GROWTH * 100}%`,
      pass: growth <= MAX_RSS_GROWTH,
    },
    {
      name: "deliveries/s, whole run",
      value: count(deliveredPerSecond),
      target: `>= ${count(target * MIN_LOAD)}`,
      pass: deliveredPerSecond >= target * MIN_LOAD,
    },
    { name: `publish -> last of ${SUBSCRIBERS}`, value: `p50 ${p(50)}, p99 ${p(99)} (${count(latencies.length)} events)` },
    {
      name: "events published, acked, seqs contiguous",
      value: `${count(sent)} published, ${count(sorted.length)} acked${contiguous ? "" : ", seqs NOT contiguous"}`,
      target: "all",
      pass: contiguous && sorted.length === sent,
    },
    { name: "publishes refused or unanswered", value: String(publishErrors + unanswered), target: "0", pass: publishErrors + unanswered === 0 },
    {
      name: "gaps",
      value: `${gaps} (skipped ${final.skipped}, repeated ${final.repeated}, gap frames ${final.gapFrames}, closed ${final.closed}, short ${final.short})`,
      target: "0",
      pass: gaps === 0,
    },
  ];
  say("");
  say(`soak: ${MINUTES} min, ${SUBSCRIBERS} subscribers, ${RATE} events/s`);
  const width = Math.max(...checks.map((check) => check.name.length));
  for (const check of checks) {
    const verdict = check.pass === undefined ? "" : `  ${check.target}  ${check.pass ? "ok" : "FAILED"}`;
    say(`  ${check.name.padEnd(width)}  ${check.value}${verdict}`);
  }
  return checks.every((check) => check.pass !== false);
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "events-soak-"));
  let hub: HubProcess | undefined;
  let subscribers: Child | undefined;
  // Bounded whatever happens: the run, plus time to connect and drain.
  const watchdog = setTimeout(() => {
    process.stderr.write("soak: did not finish in time; stopping\n");
    void stop().then(() => process.exit(1));
  }, (MINUTES * 60 + 180) * 1_000);
  watchdog.unref();
  const stop = async (): Promise<void> => {
    if (subscribers !== undefined) await subscribers.request({ cmd: "close" }).catch(() => undefined);
    await subscribers?.stop();
    if (hub !== undefined) {
      await Promise.race([hub.kill("SIGTERM"), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await hub.kill("SIGKILL");
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    hub = await spawnHub({ args: ["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--no-socket"], env: { EVENTS_ADMIN_TOKEN: TOKEN } });
    subscribers = new Child(new URL("./soak-subscribers.ts", import.meta.url));
    say(`hub ${hub.url} (pid ${hub.child.pid}), store ${dataDir}`);
    return (await soak(hub, subscribers)) ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await stop();
  }
}

process.exitCode = await main();
