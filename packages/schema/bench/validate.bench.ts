/**
 * Validation throughput of every event type and frame kind, side by side with the
 * naive way (Ajv compiling a plain TypeBox union at run time, which tries each
 * member in turn), and what importing the package costs a process.
 * Run with `pnpm bench` (from the root, for the whole workspace) or here.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020Module from "ajv/dist/2020.js";
import { Type, type TObject } from "@sinclair/typebox";
import { median, medianOf, report, type BenchRow } from "../../../scripts/bench-kit.js";
import { codecs, type MessageName } from "../dist/index.js";
import { Envelope, ProblemsFrame, SessionFrame } from "../dist/typebox.js";

const Ajv2020 = Ajv2020Module.default;
const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
const ITERATIONS = Number(process.env["BENCH_ITERATIONS"] ?? 1_000_000);
const MEASURE_MS = Number(process.env["BENCH_MEASURE_MS"] ?? 250);
const TARGET_PER_SECOND = 2_000_000;
const fixturesDir = fileURLToPath(new URL("../fixtures/valid", import.meta.url));

/** One example per tag: its largest valid fixture (the most fields to check). */
function examples(message: string, tag: string): Map<string, unknown> {
  const byTag = new Map<string, { value: unknown; size: number }>();
  for (const file of readdirSync(`${fixturesDir}/${message}`).sort()) {
    const text = readFileSync(`${fixturesDir}/${message}/${file}`, "utf8");
    const value = JSON.parse(text) as Record<string, unknown>;
    const key = String(value[tag]);
    if ((byTag.get(key)?.size ?? -1) < text.length) byTag.set(key, { value, size: text.length });
  }
  return new Map([...byTag].map(([key, { value }]) => [key, value]));
}

const STREAM = 1024;
const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A stream of distinct events made from one example, as a producer sends them: every
 * event has its own id, timestamp and clock, while project, node and branch repeat.
 * Each is parsed from its JSON text, as the hub receives it: flat strings and the
 * object shapes JSON.parse makes (strings built by concatenation in the benchmark
 * would cost every character check an indirection no received event has).
 */
function stream(example: unknown): unknown[] {
  const base = example as Record<string, unknown>;
  if (typeof base["event_id"] !== "string") return Array.from({ length: STREAM }, () => JSON.parse(JSON.stringify(example)) as unknown);
  return Array.from({ length: STREAM }, (_, i) => {
    const copy = structuredClone(base);
    const suffix = [...String(i).padStart(4, "0")].map((d) => ULID_CHARS[Number(d) * 3]).join("");
    copy["event_id"] = `${(copy["event_id"] as string).slice(0, 22)}${suffix}`;
    copy["timestamp"] = new Date(Date.UTC(2026, 10, 20, 10, 0, 0, i * 7)).toISOString();
    copy["lamport_clock"] = 1000 + i;
    return JSON.parse(JSON.stringify(copy)) as unknown;
  });
}

/** CPU time this process has used, in microseconds: a shared machine's other load does not count. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Validations per CPU second over about `MEASURE_MS` of CPU time: the slow naive way
 * runs fewer iterations, not longer. CPU time, not wall time, so that time slices
 * given to other processes on a busy machine are not counted against either side.
 */
function throughput(check: (value: unknown) => boolean, values: readonly unknown[]): number {
  const mask = values.length - 1;
  let iterations = 0;
  let ok = 0;
  const started = cpuMicros();
  const budget = MEASURE_MS * 1000;
  while (cpuMicros() - started < budget && iterations < ITERATIONS) {
    for (let i = 0; i < 1024; i++, iterations++) if (check(values[iterations & mask])) ok++;
  }
  const seconds = (cpuMicros() - started) / 1e6;
  if (ok !== iterations) throw new Error("a valid example failed validation");
  return iterations / seconds;
}

interface Family {
  message: MessageName;
  tag: string;
  members: readonly TObject[];
}

const families: Family[] = [
  { message: "Envelope", tag: "event_type", members: Envelope.oneOf },
  { message: "SessionFrame", tag: "kind", members: SessionFrame.oneOf },
  { message: "ProblemsFrame", tag: "kind", members: ProblemsFrame.oneOf },
];

const rows: BenchRow[] = [];
const spreads: BenchRow[] = [];
let naiveSlowest = { name: "", naive: Infinity, ours: 0 };

// Warm every member first, round-robin, so that each is measured in the same steady
// state a hub is in (one decode call site seeing every type), not in the middle of the
// JIT moving from the first type it saw to many.
//
// Every input is parsed before the naive validators are compiled. Compiling Ajv on the
// 13-member union leaves V8's hidden-class transitions so that objects JSON.parse makes
// afterwards of some payload shapes (ErrorLogged's, ProblemsSnapshot's) each get a map
// of their own: 1,024 maps for 1,024 events, and every property read of them becomes a
// megamorphic lookup. That slowed both sides 3x on those two types in this process only;
// a hub never compiles that union (its reference validators, loaded on the first
// invalid event, do not do this: checked with %HaveSameMap).
const inputs = families.map((family) =>
  [...examples(family.message, family.tag)].map(([tag, example]) => [tag, stream(example)] as const),
);
const prepared = families.map((family, index) => {
  const codec = codecs[family.message];
  const decode = (value: unknown): boolean => codec.decode(value).ok;
  const naive = new Ajv2020({ strict: false }).compile(Type.Union([...family.members]));
  return { family, naive, decode, streams: inputs[index] ?? [] };
});
for (let round = 0; round < 2; round++) {
  for (const { naive, decode, streams } of prepared) {
    for (const [, value] of streams) {
      throughput(decode, value);
      throughput(naive, value);
    }
  }
}

for (const { family, naive, decode, streams } of prepared) {
  const ours: number[] = [];
  for (const [tag, value] of streams) {
    const fast = await medianOf(RUNS, () => throughput(decode, value));
    const slow = await medianOf(RUNS, () => throughput(naive, value));
    const name = `decode ${family.message} ${tag}`;
    ours.push(fast);
    if (slow < naiveSlowest.naive) naiveSlowest = { name, naive: slow, ours: fast };
    rows.push({
      name,
      value: fast,
      unit: "msg/s",
      baseline: `Ajv on TypeBox union ${Math.round(slow).toLocaleString("en-US")}/s`,
      ratio: fast / slow,
      target: ">= 2,000,000/s",
      pass: fast >= TARGET_PER_SECOND,
    });
  }
  // Dispatch on the tag: the last member of a union costs what the first does. The
  // target is the issue's, on envelopes of every event type, which carry the same
  // envelope fields around payloads of similar size. Frame kinds differ in content
  // (a `phase` frame carries a timestamp checked position by position, a `done` frame
  // one short string), so their spread is printed for information.
  const spread = Math.max(...ours) / Math.min(...ours);
  const envelopes = family.message === "Envelope";
  spreads.push({
    name: `fastest / slowest ${family.message} ${family.tag}`,
    value: spread,
    unit: "x",
    target: envelopes ? "<= 1.5x" : "(info: content differs)",
    ...(envelopes ? { pass: spread <= 1.5 } : {}),
  });
}
rows.push(...spreads);
rows.push({
  name: `vs naive on its slowest member (${naiveSlowest.name.replace("decode ", "")})`,
  value: naiveSlowest.ours / naiveSlowest.naive,
  unit: "x",
  target: ">= 3x",
  pass: naiveSlowest.ours / naiveSlowest.naive >= 3,
});

// Import cost: a fresh process importing the package, against a bare one and the naive way.
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const startup = (code: string): number => {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: packageDir });
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const STARTS = 15;
const times = (code: string): number[] => Array.from({ length: STARTS }, () => startup(code));
const bare = median(times("0"));
const schema = median(times('await import("./dist/index.js")'));
const naiveImport = median(
  times(
    'const { default: Ajv } = await import("ajv/dist/2020.js"); const { Type } = await import("@sinclair/typebox"); const { Envelope } = await import("./dist/typebox.js"); new Ajv({ strict: false }).compile(Type.Union([...Envelope.oneOf]));',
  ),
);
rows.push({
  name: "import @events/schema (added to node startup)",
  value: schema - bare,
  unit: "ms",
  baseline: `naive import + compile ${(naiveImport - bare).toFixed(1)} ms`,
  ratio: (naiveImport - bare) / Math.max(schema - bare, 0.1),
  target: "<= 25 ms",
  pass: schema - bare <= 25,
});

report("@events/schema", rows);
