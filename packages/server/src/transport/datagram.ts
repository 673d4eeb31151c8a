/**
 * Datagram ingest, as statemachine-engine's `send-event` does it: a unix datagram
 * socket taking `{machine_name, event_type, payload}` JSON (with optional `target`
 * and `job_id`). Each datagram becomes a MachineEvent envelope the hub signs with
 * its own node id and clock, and is stored and fanned out like any event. The same
 * socket sends `{type, payload, job_id}` to `control-<machine>.sock` for machine
 * targets. Node's `dgram` has no unix datagrams; `node-unix-socket` provides them
 * (N-API, prebuilt). Bad datagrams are counted and logged, never fatal.
 */
import { rmSync, statSync } from "node:fs";
import { machineDatagramCodec, SCHEMA_VERSION, type Envelope, type MachineDatagram } from "@events/schema";
import { DgramSocket } from "node-unix-socket";
import { monotonicFactory } from "ulid";
import { ADMIN } from "../auth/principal.js";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";

const ulid = monotonicFactory();

export class DatagramIngest {
  readonly path: string;
  readonly #core: HubCore;
  readonly #socket: DgramSocket;
  #closed = false;

  private constructor(core: HubCore, path: string, socket: DgramSocket) {
    this.#core = core;
    this.path = path;
    this.#socket = socket;
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
    const decoded = machineDatagramCodec.decodeJson(data);
    if (!decoded.ok) {
      core.metrics.malformed.inc({ transport: "datagram" });
      core.logger.warn("ignoring a datagram that is not {machine_name, event_type, payload}", { issues: decoded.issues.slice(0, 5) });
      return;
    }
    core.ingest([this.#envelope(decoded.value)], ADMIN, "datagram").then(
      ({ results }) => {
        const result = results[0];
        if (result?.status === "rejected") core.logger.warn("datagram event rejected", { issues: result.issues.slice(0, 5) });
      },
      (error: unknown) => core.logger.error("storing a datagram event failed", { error }),
    );
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
