/**
 * A host process whose emitter lives on a volume the test fills and frees. It reads
 * one JSON command per line on stdin and answers each with one JSON line on stdout,
 * so the test decides when the disk is full and when time passes. Its clock is
 * `Date.now()` plus what `advance` added, so the emitter's retry interval passes on
 * purpose, not by sleeping. Warnings are captured and returned with each answer.
 */
import { createInterface } from "node:readline";
import { createEmitter, setLogSink, type EmitterOptions } from "../../src/index.js";

export type HostCommand =
  | { op: "emit"; count: number }
  | { op: "advance"; ms: number }
  | { op: "stats" }
  | { op: "flush" }
  | { op: "close" };

/** One emit's result as the host saw it, without the envelope. */
export type EmitOutcome =
  | { ok: true; id: string; clock: number; durable: boolean }
  | { ok: false; reason: string; message: string };

export interface HostAnswer {
  op: HostCommand["op"];
  outcomes?: EmitOutcome[];
  /** What `flush()` returned: events still waiting in memory. */
  waiting?: number;
  stats?: unknown;
  unsent?: number;
  savedTo?: string;
  warnings: string[];
  /** A thrown error, which the emitter promises never happens. */
  threw?: string;
}

const options = JSON.parse(process.argv[2] ?? "{}") as EmitterOptions;
const warnings: string[] = [];
setLogSink((level, message) => void (level === "warn" && warnings.push(message)));
let offset = 0;
const emitter = createEmitter({ ...options, now: () => Date.now() + offset });

async function run(command: HostCommand): Promise<Omit<HostAnswer, "op" | "warnings">> {
  switch (command.op) {
    case "emit": {
      const outcomes: EmitOutcome[] = [];
      for (let i = 0; i < command.count; i++) {
        const result = emitter.emitWpStatusChanged({ wp_id: `WP${String(i % 100).padStart(2, "0")}`, from_lane: "planned", to_lane: "claimed" });
        outcomes.push(
          result.ok
            ? { ok: true, id: result.event.event_id, clock: result.event.lamport_clock, durable: result.durable }
            : { ok: false, reason: result.reason, message: result.message },
        );
      }
      return { outcomes };
    }
    case "advance":
      offset += command.ms;
      return {};
    case "stats":
      return { stats: emitter.outbox.stats() };
    case "flush":
      return { waiting: emitter.flush() };
    case "close": {
      const report = await emitter.close();
      return { unsent: report.unsent.length, ...(report.savedTo === undefined ? {} : { savedTo: report.savedTo }) };
    }
  }
}

process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const command = JSON.parse(line) as HostCommand;
  let answer: HostAnswer;
  try {
    answer = { op: command.op, ...(await run(command)), warnings: warnings.splice(0) };
  } catch (error) {
    answer = { op: command.op, warnings: warnings.splice(0), threw: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  if (command.op === "close") break;
}
