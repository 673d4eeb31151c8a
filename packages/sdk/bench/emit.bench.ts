/**
 * @events/sdk benchmark: what a durable emit costs, side by side in one run with
 * the floor (raw better-sqlite3 doing the same clock-bump + insert transaction):
 * throughput and p99 latency in one process, four writer processes on one home,
 * what the SDK adds to a short host command, and peak RSS over a 100,000-event
 * burst. Medians of several runs; run with `pnpm bench` (after `pnpm build`).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, medianOf, percentile, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { burstScript, hostScript, writerScript } from "./child-scripts.js";
import { openFloor } from "./floor.js";
import type * as SdkSource from "../src/index.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
const EMITS = Number(process.env["BENCH_EMITS"] ?? 20_000);
const WRITERS = 4;
const EMITS_PER_WRITER = Number(process.env["BENCH_EMITS_PER_WRITER"] ?? 5_000);
const WRITER_RUNS = 3;
const HOST_RUNS = Number(process.env["BENCH_HOST_RUNS"] ?? 21);
const BURST = 100_000;
const BURST_RUNS = 3;

const packageDir = fileURLToPath(new URL("..", import.meta.url));
// Resolved at run time so that type-checking does not need a build; the bench runs the built package.
const distUrl = new URL("../dist/index.js", import.meta.url);
if (!existsSync(distUrl)) throw new Error("packages/sdk/dist is missing: run `pnpm build` first");
const sdk = (await import(distUrl.href)) as typeof SdkSource;

const scratch = mkdtempSync(join(tmpdir(), "events-sdk-bench-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(scratch, `run-${dirs++}`);
  mkdirSync(dir);
  return dir;
};
const payload = { wp_id: "WP01", from_lane: "planned", to_lane: "claimed", actor: "bench" } as const;

/** The exact JSON the SDK stores for one benchmark event, for the floor to insert. */
function sampleEvent(): string {
  const dir = freshDir();
  const emitter = sdk.createEmitter({ home: dir, projectRoot: dir, project: null, exitHook: false });
  const result = emitter.emitWpStatusChanged(payload);
  void emitter.close();
  if (!result.ok) throw new Error(result.message);
  return JSON.stringify(result.event);
}
const data = sampleEvent();

interface Run {
  rate: number;
  p50: number;
  p99: number;
}

function measure(write: (i: number) => void): Run {
  for (let i = 0; i < 1_000; i++) write(-1 - i);
  const latencies = new Float64Array(EMITS);
  const started = process.hrtime.bigint();
  for (let i = 0; i < EMITS; i++) {
    const before = process.hrtime.bigint();
    write(i);
    latencies[i] = Number(process.hrtime.bigint() - before) / 1e6;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = [...latencies];
  return { rate: EMITS / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

function sdkRun(): Run {
  const dir = freshDir();
  const emitter = sdk.createEmitter({ home: dir, projectRoot: dir, project: null, exitHook: false });
  let failed = 0;
  const run = measure(() => {
    const result = emitter.emitWpStatusChanged(payload);
    if (!result.ok || !result.durable) failed++;
  });
  void emitter.close();
  if (failed > 0) throw new Error(`${failed} emits were not durable`);
  return run;
}

function floorRun(): Run {
  const floor = openFloor(freshDir(), data);
  const run = measure((i) => floor.write(`F${String(i + 2_000).padStart(25, "0")}`));
  floor.close();
  return run;
}

const ours: Run[] = [];
const floors: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  ours.push(sdkRun());
  floors.push(floorRun());
}
const rate = median(ours.map((run) => run.rate));
const floorRate = median(floors.map((run) => run.rate));
const p99 = median(ours.map((run) => run.p99));
const floorP99 = median(floors.map((run) => run.p99));
const rows: BenchRow[] = [
  {
    name: "durable emits/s, 1 process",
    value: rate,
    unit: "emit/s",
    baseline: `floor ${Math.round(floorRate).toLocaleString("en-US")}/s`,
    ratio: rate / floorRate,
    target: ">= 0.7x floor",
    pass: rate / floorRate >= 0.7,
  },
  {
    name: "emit() p99 latency, 1 writer",
    value: p99,
    unit: "ms",
    baseline: `floor ${floorP99.toFixed(3)} ms`,
    ratio: floorP99 / p99,
    target: "<= 0.5 ms",
    pass: p99 <= 0.5,
  },
  {
    name: "emit() p50 latency, 1 writer",
    value: median(ours.map((run) => run.p50)),
    unit: "ms",
    baseline: `floor ${median(floors.map((run) => run.p50)).toFixed(3)} ms`,
  },
];

// Several writer processes on one home, released at once.
interface WriterReport {
  startedAt: number;
  endedAt: number;
  failures: number;
  warnings: string[];
}

function runWriters(kind: "sdk" | "floor"): Promise<{ rate: number; failures: number; warnings: string[] }> {
  const dir = freshDir();
  const code = writerScript(kind, distUrl.href);
  const children = Array.from({ length: WRITERS }, () =>
    spawn(process.execPath, ["--input-type=module", "-e", code, dir, String(EMITS_PER_WRITER), data], { cwd: packageDir, stdio: ["pipe", "pipe", "inherit"] }),
  );
  const outputs = children.map(
    (child) =>
      new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          out += chunk;
          if (out === "ready\n") ready();
        });
        child.on("error", reject);
        child.on("close", (status) => (status === 0 ? resolve(out) : reject(new Error(`writer exited with ${status}`))));
      }),
  );
  let waiting = WRITERS;
  function ready(): void {
    if (--waiting === 0) for (const child of children) child.stdin.end("go\n");
  }
  return Promise.all(outputs).then((texts) => {
    const reports = texts.map((text) => JSON.parse(text.trim().split("\n").at(-1)!) as WriterReport);
    const seconds = (Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt))) / 1e3;
    return {
      rate: (WRITERS * EMITS_PER_WRITER) / seconds,
      failures: reports.reduce((sum, r) => sum + r.failures, 0),
      warnings: reports.flatMap((r) => r.warnings),
    };
  });
}

const writerRates: number[] = [];
const floorWriterRates: number[] = [];
let writerFailures = 0;
const writerWarnings: string[] = [];
for (let i = 0; i < WRITER_RUNS; i++) {
  const run = await runWriters("sdk");
  writerRates.push(run.rate);
  writerFailures += run.failures;
  writerWarnings.push(...run.warnings);
  floorWriterRates.push((await runWriters("floor")).rate);
}
const busy = writerWarnings.filter((warning) => warning.includes("SQLITE_BUSY")).length;
for (const warning of new Set(writerWarnings)) process.stderr.write(`writer warning: ${warning}\n`);
const writersRate = median(writerRates);
const floorWritersRate = median(floorWriterRates);
rows.push(
  {
    name: `${WRITERS} writer processes, emits/s together`,
    value: writersRate,
    unit: "emit/s",
    baseline: `floor ${Math.round(floorWritersRate).toLocaleString("en-US")}/s`,
    ratio: writersRate / floorWritersRate,
    target: ">= 8,000/s",
    pass: writersRate >= 8_000,
  },
  {
    name: `${WRITERS} writers: SQLITE_BUSY or not-durable emits`,
    value: busy + writerFailures,
    unit: "emits",
    target: "0",
    pass: busy + writerFailures === 0,
  },
);

// A short host command: import, one emit, exit; against bare node in the same rounds.
const hostDir = freshDir();
const hostEnv = { ...process.env, EVENTS_HOME: join(hostDir, "home"), EVENTS_DEBUG: "" };
const hostRun = (code: string): number => {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: hostDir, env: hostEnv });
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const host = hostScript(distUrl.href);
const schemaOnly = `await import(${JSON.stringify(import.meta.resolve("@events/schema"))});`;
hostRun(host); // first run creates the project identity, as a project's first command would
const bare: number[] = [];
const withSdk: number[] = [];
const withSchema: number[] = [];
for (let i = 0; i < HOST_RUNS; i++) {
  bare.push(hostRun("0"));
  withSdk.push(hostRun(host));
  withSchema.push(hostRun(schemaOnly));
}
const added = median(withSdk) - median(bare);
rows.push(
  {
    name: "added to a host process (import, 1 emit, exit)",
    value: added,
    unit: "ms",
    baseline: `bare node ${median(bare).toFixed(1)} ms`,
    target: "<= 30 ms",
    pass: added <= 30,
  },
  {
    name: "  of which importing @events/schema",
    value: median(withSchema) - median(bare),
    unit: "ms",
  },
);

// Peak RSS of a process emitting a 100,000-event burst.
const burstRss = (kind: "sdk" | "floor"): number =>
  Number(
    execFileSync(process.execPath, ["--input-type=module", "-e", burstScript(kind, distUrl.href), freshDir(), String(BURST), data], {
      cwd: packageDir,
    }).toString(),
  ) / 2 ** 20;
const rss = await medianOf(BURST_RUNS, () => burstRss("sdk"));
const floorRss = await medianOf(BURST_RUNS, () => burstRss("floor"));
rows.push({
  name: "peak RSS, 100,000-event burst",
  value: rss,
  unit: "MB",
  baseline: `floor ${floorRss.toFixed(1)} MB`,
  ratio: floorRss / rss,
  target: "<= 100 MB",
  pass: rss <= 100,
});

report("@events/sdk", rows);
