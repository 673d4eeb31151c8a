/**
 * Forwards machine events to the machine they target, as statemachine-engine's
 * `send-event` does: `{type, payload, job_id}` to `<controlPrefix><machine>.sock` when that
 * socket exists. Runs after the event is stored; a missing socket leaves the
 * machine_events row `pending`, a delivered one marks it `processed`. Never throws.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { MachineControlMessage, MachineEventPayload } from "@events/schema";
import type { Logger } from "../logger.js";
import type { HubStore } from "../store/hub-store.js";
import type { StreamSeq } from "../store/records.js";

/** Sends one datagram to a unix socket path; rejects when it cannot. */
export type DatagramSend = (bytes: Buffer, path: string) => Promise<void>;

const SAFE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface MachineControlDeps {
  readonly controlDir: string;
  /** File-name prefix of the sockets, `control-` by default. */
  readonly controlPrefix: string;
  readonly send: DatagramSend | undefined;
  readonly store: HubStore;
  readonly logger: Logger;
  /**
   * Cluster nodes on one host see the same control sockets: each claims the row
   * (pending -> processed) before sending, so only one of them sends.
   */
  readonly claimFirst?: boolean;
}

export function controlSocketPath(controlDir: string, machine: string, prefix = "control-"): string | undefined {
  return SAFE_NAME.test(machine) && machine !== "." && machine !== ".." ? join(controlDir, `${prefix}${machine}.sock`) : undefined;
}

/** `at`: the event's place in its stream, which names its machine_events row (what delivery knows, on every node). */
export async function forwardToMachine(deps: MachineControlDeps, at: StreamSeq, event: MachineEventPayload): Promise<void> {
  if (event.target === "ui" || deps.send === undefined) return;
  const path = controlSocketPath(deps.controlDir, event.target, deps.controlPrefix);
  if (path === undefined) return;
  try {
    const info = await stat(path);
    if (!info.isSocket()) return;
  } catch {
    return; // no such machine listening: the row stays pending
  }
  const message: MachineControlMessage = { type: event.type, payload: event.payload, job_id: event.job_id ?? null };
  try {
    if (deps.claimFirst === true) {
      if (!(await deps.store.markMachineProcessed({ stream: at.stream, seq: at.seq }, new Date().toISOString()))) return;
      await deps.send(Buffer.from(JSON.stringify(message)), path);
      return;
    }
    await deps.send(Buffer.from(JSON.stringify(message)), path);
    await deps.store.markMachineProcessed({ stream: at.stream, seq: at.seq }, new Date().toISOString());
  } catch (error) {
    deps.logger.warn("could not forward a machine event to its control socket", { target: event.target, error });
  }
}
