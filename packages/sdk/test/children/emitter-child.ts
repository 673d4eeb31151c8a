/**
 * An emitter in a process of its own, for the tests that need real processes:
 * SIGKILL, many writers at once, read-only homes, exit reports. Its one argument is
 * a JSON ChildConfig; it prints `ready`, optionally waits for `go` on stdin, emits,
 * and prints either each stored event id as it is stored or one JSON summary.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createEmitter, setLogSink, type EmitterOptions, type OutboxStats } from "../../src/index.js";

export interface ChildConfig {
  options: EmitterOptions;
  /** Events to emit; null emits until killed. */
  count: number | null;
  /** `ids`: print each id once its emit returned ok. `summary`: one JSON line at the end. */
  report: "ids" | "summary";
  waitForGo?: boolean;
  /** Close the emitter at the end (else just exit, leaving it to the exit hook). */
  close?: boolean;
  /** Capture warnings into the summary instead of letting them reach stderr. */
  captureWarnings?: boolean;
}

export interface ChildSummary {
  pid: number;
  clocks: number[];
  durable: number;
  failures: string[];
  warnings: string[];
  project: { uuid: string; slug: string } | null;
  projectPersisted: boolean;
  stats?: OutboxStats;
  unsent?: number;
  savedTo?: string;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
const warnings: string[] = [];
if (config.captureWarnings === true) setLogSink((level, message) => void (level === "warn" && warnings.push(message)));

const emitter = createEmitter(config.options);
process.stdout.write("ready\n");

async function waitForGo(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === "go") break;
  lines.close();
}

if (config.waitForGo === true) await waitForGo();

const summary: ChildSummary = { pid: process.pid, clocks: [], durable: 0, failures: [], warnings, project: null, projectPersisted: false };
for (let i = 0; config.count === null || i < config.count; i++) {
  const result = emitter.emitWpStatusChanged({ wp_id: `WP${String(i % 100).padStart(2, "0")}`, from_lane: "planned", to_lane: "claimed" });
  if (!result.ok) {
    summary.failures.push(`${result.reason}: ${result.message}`);
    continue;
  }
  if (result.durable) summary.durable++;
  // A full pipe (a slow reader on a loaded machine) queues writes that only the event loop
  // sends: wait for them, or an endless emit loop would never print another id.
  if (config.report === "ids" && !process.stdout.write(`${result.event.event_id}\n`)) await once(process.stdout, "drain");
  else summary.clocks.push(result.event.lamport_clock);
}

({ project: summary.project, projectPersisted: summary.projectPersisted } = emitter.identity());
if (config.report === "summary") summary.stats = emitter.outbox.stats();
if (config.close === true) {
  const report = await emitter.close();
  summary.unsent = report.unsent.length;
  if (report.savedTo !== undefined) summary.savedTo = report.savedTo;
}
if (config.report === "summary") process.stdout.write(`${JSON.stringify(summary)}\n`);
