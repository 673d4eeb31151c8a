/**
 * The background syncer: one process per home that delivers the outbox for every
 * short-lived command, so they exit without waiting for the hub. It binds
 * `<home>/syncer.sock` (the lock: one per home), drains with the SDK's SyncClient
 * (WebSocket, HTTP batches as fallback, leases, dead letters), drains again on every
 * poke, and exits after `idleMs` without a poke or a delivery, at once when no hub is
 * configured. It never leaves the home unsyncable: if it dies, its leases are freed by
 * the next syncer (or expire), the next emit starts another, and the hub dedupes by
 * event_id.
 */
import { statSync } from "node:fs";
import { createServer } from "node:net";
import { openSyncHost } from "../emitter/emitter.js";
import { debugFromEnv, setLogSink } from "../logger.js";
import { resolveHome } from "../options.js";
import { bindSyncerSocket } from "./syncer-bind.js";
import { syncerLog } from "./syncer-log.js";
import { syncerSocketPath, type DrainReply } from "./syncer-socket.js";

/** Every syncer's lease owner id starts with this; only one syncer per home is alive at a time. */
export const SYNCER_LEASE_PREFIX = "syncer:";

export interface SyncerOptions {
  home?: string;
  /** Exit after this many milliseconds without a poke or a delivery. @default $EVENTS_SYNCER_IDLE_MS, else 30_000 */
  idleMs?: number;
  /** At most this long is spent delivering once idle, before exiting, in milliseconds. @default 2_000 */
  exitFlushMs?: number;
}

export const DEFAULT_SYNCER_IDLE_MS = 30_000;

export type SyncerOutcome = "idle" | "taken" | "not-configured" | "signal" | "unreachable";

/** Runs the syncer of a home until it is idle; resolves with why it stopped. */
export async function runSyncer(options: SyncerOptions = {}): Promise<SyncerOutcome> {
  const home = resolveHome(options.home);
  const idleMs = options.idleMs ?? idleFromEnv() ?? DEFAULT_SYNCER_IDLE_MS;
  const log = syncerLog(home);
  setLogSink((level, message) => log(`${level}: ${message}`));

  let poke: () => void = () => undefined;
  let drain: (timeoutMs: number) => Promise<DrainReply> = () => Promise.resolve({ synced: 0, remaining: -1 });
  let lastActivity = Date.now();
  // "sync" asks for a drain; anything else (a status check) only learns that a syncer runs.
  const server = createServer((connection) => {
    connection.on("error", () => undefined);
    connection.once("data", (chunk: Buffer) => {
      const [verb, argument] = chunk.toString().trim().split(" ");
      if (verb === "drain") return void drain(Number(argument)).then((reply) => connection.end(`${JSON.stringify(reply)}\n`));
      connection.end();
      if (verb !== "sync") return;
      lastActivity = Date.now();
      poke();
    });
  });
  const path = syncerSocketPath(home);
  if ((await bindSyncerSocket(server, path)) === "taken") {
    log("another syncer serves this home; exiting");
    return "taken";
  }

  const boundInode = inode(path);
  const host = openSyncHost({ home, leaseOwnerPrefix: SYNCER_LEASE_PREFIX, exitHook: false, ...(debugFromEnv() ? { debug: true } : {}) });
  const stop = async (why: SyncerOutcome): Promise<SyncerOutcome> => {
    await new Promise((resolve) => server.close(resolve));
    await host.runtime.close(options.exitFlushMs ?? 2_000);
    host.close();
    log(`stopped (${why}); ${host.outbox.size()} left in the outbox`);
    return why;
  };
  if (!host.runtime.status().configured) {
    log("no hub is configured (EVENTS_SERVER_URL and EVENTS_TOKEN, or events auth login); exiting");
    return stop("not-configured");
  }
  // This process holds the socket: any other syncer's leases belong to one that died.
  const freed = host.releaseLeasesOf(SYNCER_LEASE_PREFIX);
  log(`started on ${path}, hub ${host.runtime.status().serverUrl}, idle exit after ${idleMs} ms${freed > 0 ? `; freed ${freed} rows a dead syncer held` : ""}`);
  host.runtime.on("batch", (progress) => {
    lastActivity = Date.now();
    log(`delivered ${progress.synced}, ${progress.remaining} remaining`);
  });
  host.runtime.on("error", (error) => log(`delivery failed (${error.errorClass}): ${error.message}`));
  poke = () => host.runtime.onEmit();
  drain = async (timeoutMs) => {
    lastActivity = Date.now();
    const result = await host.runtime.syncNow({ timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 10_000 });
    lastActivity = Date.now();
    return { synced: result.synced, remaining: result.remaining, ...(result.error === undefined ? {} : { error: result.error }) };
  };
  poke();

  return new Promise((resolve) => {
    let stopping = false;
    const finish = (why: SyncerOutcome): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(check);
      resolve(stop(why));
    };
    const check = setInterval(() => {
      if (Date.now() - lastActivity >= idleMs) finish("idle");
      // Its socket file removed or replaced (the home deleted): nobody can reach this syncer any more.
      else if (inode(path) !== boundInode) finish("unreachable");
    }, Math.max(20, Math.min(1_000, Math.floor(idleMs / 4))));
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, () => finish("signal"));
  });
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function idleFromEnv(): number | undefined {
  const value = Number(process.env["EVENTS_SYNCER_IDLE_MS"]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
