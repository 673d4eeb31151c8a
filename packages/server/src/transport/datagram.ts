/**
 * Datagram ingest, as statemachine-engine's `send-event` does it: a unix datagram
 * socket taking `{machine_name, event_type, payload}` JSON (with optional `target`
 * and `job_id`). Each datagram becomes a MachineEvent envelope the hub signs with
 * its own node id and clock, and is stored and fanned out like any event. The same
 * socket sends `{type, payload, job_id}` to `control-<machine>.sock` for machine
 * targets. Node's `dgram` has no unix datagrams; `node-unix-socket` provides them
 * (N-API, prebuilt). A refused datagram is never fatal and never silent: it is
 * counted by reason, logged, and reported in the activity log (datagram-refusals.ts).
 */
import { rmSync, statSync } from "node:fs";
import { machineDatagramCodec, SCHEMA_VERSION, type Envelope, type Issue, type MachineDatagram } from "@events/schema";
import { DgramSocket } from "node-unix-socket";
import { monotonicFactory } from "ulid";
import { ADMIN } from "../auth/principal.js";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";
import { RefusalReporter, type DatagramRefusal } from "./datagram-refusals.js";

const ulid = monotonicFactory();
/** What one read of the socket returns at most; a datagram this long may have been cut. */
const READ_BYTES = 65_535;

export class DatagramIngest {
  readonly path: string;
  readonly #core: HubCore;
  readonly #socket: DgramSocket;
  readonly #refusals: RefusalReporter;
  #closed = false;

  private constructor(core: HubCore, path: string, socket: DgramSocket) {
    this.#core = core;
    this.path = path;
    this.#socket = socket;
    this.#refusals = new RefusalReporter({
      counter: core.metrics.datagramsRefused,
      intervalMs: core.options.datagramWarningIntervalMs,
      report: (warning) => this.#warn(warning),
    });
  }

  /**
   * Binds the socket. A socket file left by a previous run is replaced; one that a
   * live process still reads (it takes an empty probe datagram) is left alone and
   * the hub refuses to start.
   */
  static async open(core: HubCore, path: string): Promise<DatagramIngest> {
    if (await isLive(path)) {
      throw new HubError("config", `another process is reading the datagram socket ${path}; stop it or choose --socket`);
    }
    removeStaleSocket(path);
    const socket = new DgramSocket();
    socket.bind(path);
    // Room for a burst of max-size events before the kernel drops datagrams.
    try {
      socket.setRecvBufferSize(Math.max(socket.getRecvBufferSize(), 4 * 1024 * 1024));
    } catch {
      // the system's cap applies
    }
    const ingest = new DatagramIngest(core, path, socket);
    socket.on("data", (data: Buffer) => {
      try {
        ingest.#receive(data);
      } catch (error) {
        core.logger.error("handling a datagram failed", { error });
      }
    });
    socket.on("error", (error: Error) => core.logger.warn("datagram socket error", { error }));
    return ingest;
  }

  /** Sends one datagram to a unix socket path (machines' control sockets). */
  send(bytes: Buffer, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.sendTo(bytes, 0, bytes.length, path, (error) => (error === undefined || error === null ? resolve() : reject(error)));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    removeStaleSocket(this.path);
  }

  #receive(data: Buffer): void {
    if (data.length === 0) return; // another hub probing whether this socket is live
    const core = this.#core;
    const max = core.options.maxDatagramBytes;
    if (data.length > max) {
      const size = data.length >= READ_BYTES ? `at least ${READ_BYTES} bytes (cut at the socket's read size)` : `${data.length} bytes`;
      this.#refuse("too_large", undefined, `too large: ${size}; the limit is ${max} bytes (maxDatagramBytes)`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data.toString("utf8")) as unknown;
    } catch (error) {
      this.#refuse("not_json", undefined, `not JSON (${(error as Error).message}); send {"machine_name", "event_type", "payload"} as UTF-8 JSON`);
      return;
    }
    const decoded = machineDatagramCodec.decode(value);
    if (!decoded.ok) {
      this.#refuse("invalid", machineNameOf(value), `not {machine_name, event_type, payload}: ${summary(decoded.issues)}`);
      return;
    }
    const machine = decoded.value.machine_name;
    core.ingest([this.#envelope(decoded.value)], ADMIN, "datagram").then(
      ({ results }) => {
        const result = results[0];
        if (result?.status === "rejected") this.#refuse("rejected", machine, `its ${decoded.value.event_type} event is not valid: ${summary(result.issues)}`);
      },
      (error: unknown) => {
        core.logger.error("storing a datagram event failed", { error });
        this.#refuse("store_failed", machine, `it could not be stored (${error instanceof Error ? error.message : String(error)})`);
      },
    );
  }

  #refuse(reason: DatagramRefusal, machine: string | undefined, why: string): void {
    // Refused whole, as a malformed frame is; `rejected` events are counted by ingest.
    if (reason === "too_large" || reason === "not_json" || reason === "invalid") this.#core.metrics.malformed.inc({ transport: "datagram" });
    this.#core.logger.warn(`refused a datagram: ${why}`, { reason, ...(machine === undefined ? {} : { machine }) });
    this.#refusals.refuse(reason, { machine, why });
  }

  /** The refusal as a warning in the activity log; a warning that cannot be stored is only logged. */
  #warn(warning: { message: string; reason: DatagramRefusal; machine: string | undefined }): void {
    const core = this.#core;
    const payload = {
      message: warning.message.slice(0, 4_096),
      level: "warning",
      reason: warning.reason,
      ...(warning.machine === undefined ? {} : { machine_name: warning.machine }),
    };
    const envelope = this.#envelope({ machine_name: "hub", event_type: "activity_log", payload, target: "ui" });
    core.ingest([envelope], ADMIN, "datagram").catch((error: unknown) => core.logger.error("reporting a refused datagram failed", { error }));
  }

  #envelope(datagram: MachineDatagram): Envelope {
    const core = this.#core;
    const target = datagram.target ?? "ui";
    const project = core.options.datagramProject;
    return {
      event_id: ulid(),
      event_type: "MachineEvent",
      aggregate_type: "Machine",
      aggregate_id: target,
      payload: {
        source: datagram.machine_name,
        target,
        type: datagram.event_type,
        ...(datagram.job_id === undefined ? {} : { job_id: datagram.job_id }),
        payload: datagram.payload ?? {},
      },
      timestamp: new Date().toISOString(),
      node_id: core.options.nodeId,
      lamport_clock: core.clock.tick(),
      causation_id: null,
      correlation_id: null,
      project_uuid: project,
      project_slug: null,
      team_slug: "local",
      schema_version: SCHEMA_VERSION,
    };
  }
}

function machineNameOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const name = (value as Record<string, unknown>)["machine_name"];
  return typeof name === "string" && name.length > 0 ? name.slice(0, 256) : undefined;
}

function summary(issues: readonly Issue[]): string {
  const shown = issues.slice(0, 3).map((issue) => issue.message);
  return issues.length > 3 ? `${shown.join("; ")}; and ${issues.length - 3} more` : shown.join("; ");
}

/** Whether a process reads the datagram socket at `path` (an empty datagram gets through). */
function isLive(path: string): Promise<boolean> {
  try {
    if (!statSync(path).isSocket()) return Promise.resolve(false);
  } catch {
    return Promise.resolve(false);
  }
  const probe = new DgramSocket();
  return new Promise<boolean>((resolve) => {
    try {
      probe.sendTo(Buffer.alloc(0), 0, 0, path, (error) => resolve(error === undefined || error === null));
    } catch {
      resolve(false);
    }
  }).finally(() => probe.close());
}

function removeStaleSocket(path: string): void {
  try {
    if (statSync(path).isSocket()) rmSync(path);
  } catch {
    // nothing there
  }
}
