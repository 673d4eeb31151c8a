/** Commands that only touch local state: init, clock, queue, session. */
import type { Emitter } from "@events/sdk";
import { closeEmitter, openEmitter, reportEmit, type EmitterFlags } from "../emitter.js";
import { failure, usageError } from "../errors.js";
import { colour, print, printJson } from "../output.js";
import { integer, parseJsonObject } from "../payload.js";

export interface JsonFlag extends EmitterFlags {
  json?: boolean;
}

async function withEmitter<T>(flags: EmitterFlags, use: (emitter: Emitter) => T | Promise<T>): Promise<T> {
  const emitter = await openEmitter(flags);
  try {
    return await use(emitter);
  } finally {
    await closeEmitter(emitter);
  }
}

/** `events init`: the project identity, created on first use. */
export function init(flags: JsonFlag): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const identity = emitter.identity();
    if (flags.json === true) return printJson(identity);
    if (identity.project === null) throw failure("no project identity could be made", "run it inside a project directory");
    print(`project ${colour.bold(identity.project.slug)} ${identity.project.uuid}`);
    print(`  config  ${identity.projectRoot}/.events/config.yaml${identity.projectPersisted ? "" : colour.yellow(" (could not be written; in memory only)")}`);
    print(`  node    ${identity.nodeId}   team ${identity.teamSlug}`);
    if (identity.gitBranch !== null) print(`  git     ${identity.gitBranch}${identity.headCommitSha === null ? "" : ` @ ${identity.headCommitSha.slice(0, 12)}`}`);
  });
}

export function clockShow(flags: JsonFlag): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const clock = emitter.clock();
    if (flags.json === true) printJson(clock);
    else print(`lamport ${clock.value}  node ${clock.nodeId}`);
  });
}

export function clockReset(flags: JsonFlag & { value?: string; yes?: boolean }): Promise<void> {
  if (flags.yes !== true) throw usageError("resetting the clock can reorder this node's future events before its past ones", "run it again with --yes if you mean it");
  const value = flags.value === undefined ? 0 : integer(flags.value, "--value");
  return withEmitter(flags, (emitter) => {
    const clock = emitter.resetClock(value);
    if (flags.json === true) printJson(clock);
    else print(`lamport clock reset to ${clock.value}`);
  });
}

export function queueStats(flags: JsonFlag): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const stats = emitter.outbox.stats();
    if (flags.json === true) return printJson(stats);
    print(`${colour.bold(String(stats.size))} event(s) waiting (${stats.rows} on disk, ${stats.inMemory} in memory), ${stats.bytes} bytes`);
    if (stats.oldestAgeMs !== null) print(`  oldest       ${Math.round(stats.oldestAgeMs / 1000)} s ago`);
    print(`  retries      0: ${stats.retryBuckets["0"]}   1-3: ${stats.retryBuckets["1-3"]}   4+: ${stats.retryBuckets["4+"]}`);
    print(`  dead letters ${stats.deadLetters} now, ${stats.deadLettered} ever;  evicted ${stats.evicted};  storage ${stats.storage}`);
    if (stats.topTypes.length > 0) print(`  top types    ${stats.topTypes.map((t) => `${t.eventType} ${t.count}`).join(", ")}`);
    print(`  limits       ${stats.limits.maxRows} rows, ${stats.limits.maxBytes} bytes, ${stats.limits.maxRetries} retries`);
  });
}

export function queueDeadLetters(flags: JsonFlag & { limit?: string }): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const rows = emitter.outbox.deadLetters({ limit: flags.limit === undefined ? 100 : integer(flags.limit, "--limit") });
    if (flags.json === true) return printJson(rows);
    if (rows.length === 0) return print("no dead letters");
    for (const row of rows) {
      print(`${row.id}  ${row.event.event_type}  retries ${row.retryCount}  ${colour.red(row.lastError ?? "")}`);
    }
    print(colour.dim("retry them with `events queue retry-dead`"));
  });
}

export function queueRetryDead(flags: JsonFlag): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const count = emitter.outbox.requeueDeadLetters();
    if (flags.json === true) printJson({ requeued: count });
    else print(`${count} dead letter(s) back in the outbox`);
  });
}

export interface SessionFlags extends JsonFlag {
  at?: string;
  result?: string;
  code?: string;
}

/** `events session <id> <kind> ...`: one frame of a pipeline's session. */
export interface SessionFrameArgs {
  id: string;
  kind: string;
  args: string[];
}

export function sessionCommand({ id, kind, args }: SessionFrameArgs, flags: SessionFlags): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const session = emitter.session(id);
    const need = (count: number, usage: string): void => {
      if (args.length < count) throw usageError(`session ${kind} needs ${usage}`, `e.g. events session ${id} ${kind} ${usage}`);
    };
    let result;
    switch (kind) {
      case "phase":
        need(1, "<phase>");
        result = session.phase(args[0]!, flags.at);
        break;
      case "progress":
        need(3, "<phase> <current> <total>");
        result = session.progress(args[0]!, integer(args[1]!, "current"), integer(args[2]!, "total"));
        break;
      case "warning":
        need(2, "<phase> <message>");
        result = session.warning(args[0]!, args.slice(1).join(" "));
        break;
      case "done":
        result = session.done(flags.result === undefined ? {} : parseJsonObject(flags.result, "--result"));
        break;
      case "failed":
        need(2, "<phase> <message>");
        result = session.failed(args[0]!, { code: flags.code ?? "failed", message: args.slice(1).join(" ") });
        break;
      default:
        throw usageError(`unknown session frame "${kind}"`, "use one of: phase, progress, warning, done, failed");
    }
    reportEmit(result, { summary: `session ${id} ${kind} ${args.join(" ")}`.trim(), ...(flags.json === undefined ? {} : { json: flags.json }) });
  });
}

export function queueList(flags: JsonFlag & { limit?: string }): Promise<void> {
  return withEmitter(flags, (emitter) => {
    const rows = emitter.outbox.list({ limit: flags.limit === undefined ? 50 : integer(flags.limit, "--limit") });
    if (flags.json === true) return printJson(rows);
    if (rows.length === 0) return print("the outbox is empty");
    for (const row of rows) {
      const status = row.leased ? colour.cyan(" (sending)") : row.retryCount > 0 ? colour.yellow(` (${row.retryCount} failed: ${row.lastError ?? ""})`) : "";
      print(`${row.id}  ${String(row.event.lamport_clock).padStart(6)}  ${row.event.event_type}  ${row.event.aggregate_id}${status}`);
    }
  });
}

export function queuePurge(flags: JsonFlag & { yes?: boolean; deadLetters?: boolean }): Promise<void> {
  if (flags.yes !== true) throw usageError("purging deletes queued events that were never delivered", "run it again with --yes if you mean it");
  return withEmitter(flags, (emitter) => {
    const result = emitter.outbox.purge({ deadLetters: flags.deadLetters === true });
    if (flags.json === true) printJson(result);
    else print(`deleted ${result.outbox} queued event(s)${flags.deadLetters === true ? ` and ${result.deadLetters} dead letter(s)` : ""}`);
  });
}
