/**
 * The CLI's emitter: one per command run, closed before the process exits so that
 * anything the disk could not take is reported, never dropped silently.
 */
import type { Emitter, EmitResult } from "@events/sdk";
import { failure } from "./errors.js";
import { print, printJson, warn } from "./output.js";

export interface EmitterFlags {
  home?: string;
  project?: string;
}

export async function openEmitter(flags: EmitterFlags = {}): Promise<Emitter> {
  const { createEmitter } = await import("@events/sdk");
  return createEmitter({
    ...(flags.home === undefined ? {} : { home: flags.home }),
    ...(flags.project === undefined ? {} : { projectRoot: flags.project }),
  });
}

/** Closes the emitter; the SDK itself reports (and saves) anything the disk could not take. */
export async function closeEmitter(emitter: Emitter): Promise<void> {
  await emitter.close();
}

export interface PrintEmitOptions {
  json?: boolean;
  /** What to say on success, e.g. "WPStatusChanged WP01 planned -> in_progress". */
  summary: string;
}

/** Prints an emit's outcome; throws a CliError when it failed. */
export function reportEmit(result: EmitResult, options: PrintEmitOptions): void {
  if (!result.ok) {
    if (result.reason === "invalid") {
      const details = (result.issues ?? []).map((issue) => `  ${issue.message}`).join("\n");
      // The command was well formed; the event it describes was refused: exit 1, nothing stored or sent.
      throw failure(`the event is not valid (nothing was stored or sent):\n${details}`, "fix the fields above; `events schema export --out DIR` shows every event's schema");
    }
    throw failure(`the event was not stored (${result.reason}): ${result.message}`, hintFor(result.reason));
  }
  if (options.json === true) {
    printJson(result.event);
    return;
  }
  print(`${result.event.event_id}  ${options.summary}${result.duplicate ? " (already queued)" : ""}`);
  if (!result.durable) warn("the event waits in memory: the disk could not take it (see the warning above)");
}

function hintFor(reason: string): string {
  switch (reason) {
    case "queue_full":
      return "the outbox is full: run `events sync now`, or `events queue stats` to see what waits";
    case "unavailable":
      return "the state directory cannot be written: check the disk and EVENTS_HOME";
    default:
      return "run again with EVENTS_DEBUG=1 to see what the SDK did";
  }
}
