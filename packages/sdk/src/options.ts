/**
 * Emitter options and their defaults. Resolving them reads the environment once
 * and touches no file: the emitter stays cheap to create, and the first emit pays
 * for what it needs.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { debugFromEnv } from "./logger.js";

/** What happens when the outbox reaches `maxRows` or `maxBytes`. */
export type CapPolicy = "evict-oldest" | "reject-new";

export interface ProjectIdentityInput {
  uuid: string;
  slug: string;
}

export interface EmitterOptions {
  /** State directory holding queue.db and credentials.json. @default $EVENTS_HOME, else ~/.events */
  home?: string;
  /** Directory whose `.events/config.yaml` holds the project identity. @default the nearest git root above the cwd, else the cwd */
  projectRoot?: string;
  /** Use this project identity instead of reading or creating `.events/config.yaml`; `null` for none. @default read from the project root */
  project?: ProjectIdentityInput | null;
  /** Whether background sync starts with the emitter (used by the sync client). @default `sync.auto_start` of the project config, else true */
  autoSync?: boolean;
  /** Correlation id stamped on every event unless an emit passes its own (one run of a mission). @default null */
  correlationId?: string | null;
  /** This machine and user's node id. @default the first 12 hex digits of sha256("<hostname>:<user>") */
  nodeId?: string;
  /** Team stamped on events. @default `team_slug` of `<home>/credentials.json`, else "local" */
  teamSlug?: string;
  /** Rows the outbox keeps before `capPolicy` applies. @default 100_000 */
  maxRows?: number;
  /** Bytes of event JSON the outbox keeps before `capPolicy` applies. @default 104_857_600 (100 MiB) */
  maxBytes?: number;
  /** What a full outbox does: drop its oldest rows (counted as evicted) or refuse new events. @default "evict-oldest" */
  capPolicy?: CapPolicy;
  /** Failed deliveries a row may have before a further failure moves it to the dead letters. @default 5 */
  maxRetries?: number;
  /** How long `outbox.claim()` leases rows to one syncer, in milliseconds. @default 60_000 */
  leaseMs?: number;
  /** Events kept in memory while the disk cannot take them; past it emits return `unavailable`. @default 10_000 */
  maxMemoryEvents?: number;
  /** After a storage failure, how long to wait before trying the disk again, in milliseconds. @default 1_000 */
  retryIntervalMs?: number;
  /** How long a write waits for another process's lock, in milliseconds (SQLite `busy_timeout`). @default 5_000 */
  busyTimeoutMs?: number;
  /** Hard ceiling on queue.db in 4 KiB pages (SQLite `max_page_count`): past it writes fail as on a full disk. @default no ceiling */
  maxDatabasePages?: number;
  /** Trace every emit (validation, identity, clock, routing) on stderr. @default true when EVENTS_DEBUG=1 */
  debug?: boolean;
  /** Flush and report in-memory events when the process exits. @default true */
  exitHook?: boolean;
  /** Milliseconds since the epoch, for timestamps, leases and ages. @default Date.now */
  now?: () => number;
  /** The hub to sync with. @default $EVENTS_SERVER_URL, else `server_url` of `<home>/credentials.json`, else of `<home>/config.yaml` */
  serverUrl?: string;
  /** The API token for the hub. @default $EVENTS_TOKEN, else `token` of `<home>/credentials.json` */
  token?: string;
  /** At most this long is spent delivering at process exit (and by `close()`), in milliseconds. @default 1_000 */
  exitFlushMs?: number;
  /**
   * Hand delivery to the home's background syncer (a process of its own, started on
   * demand, found over `<home>/syncer.sock`) instead of delivering from this process
   * and waiting for the hub at exit. @default `EVENTS_SYNC_BACKGROUND` (`0` is off), else `sync.background` of `<home>/config.yaml`, else true
   */
  syncBackground?: boolean;
  /** The transport sync tries first; HTTP batches are also the fallback when the WebSocket is refused or keeps failing. @default "ws" */
  syncTransport?: "ws" | "http";
  /** Tuning of the sync client: batch size, timeouts, backoff. @default see SyncTuning */
  syncTuning?: SyncTuning;
}

/** How the sync client behaves; every field has a default. */
export interface SyncTuning {
  /** Rows claimed per round. @default 1_000 */
  claimLimit?: number;
  /** Milliseconds to open the WebSocket and get the welcome. @default 5_000 */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for one ack or one HTTP answer. @default 30_000 */
  requestTimeoutMs?: number;
  /** While idle, how often to look for events other processes queued, in milliseconds. @default 5_000 */
  pollMs?: number;
  /** Consecutive WebSocket failures before trying HTTP batches. @default 3 */
  wsFailuresBeforeBatch?: number;
  /** Reconnect backoff: the first cap and the largest, in milliseconds. @default { baseMs: 500, maxMs: 30_000 } */
  backoff?: { baseMs?: number; maxMs?: number };
}

export interface ResolvedOptions {
  home: string;
  databasePath: string;
  projectRoot: string | undefined;
  project: ProjectIdentityInput | null | undefined;
  autoSync: boolean | undefined;
  correlationId: string | null;
  nodeId: string | undefined;
  teamSlug: string | undefined;
  maxRows: number;
  maxBytes: number;
  capPolicy: CapPolicy;
  maxRetries: number;
  leaseMs: number;
  maxMemoryEvents: number;
  retryIntervalMs: number;
  busyTimeoutMs: number;
  maxDatabasePages: number | undefined;
  debug: boolean;
  exitHook: boolean;
  now: () => number;
  serverUrl: string | undefined;
  token: string | undefined;
  exitFlushMs: number;
  syncTransport: "ws" | "http";
  syncTuning: SyncTuning;
  /** The option, else `EVENTS_SYNC_BACKGROUND`; undefined leaves it to the user config. */
  syncBackground: boolean | undefined;
  /** Prefixes this outbox's lease owner id: the background syncer's leases are recognisable. */
  leaseOwnerPrefix: string;
}

export const DEFAULTS = {
  exitFlushMs: 1_000,
  maxRows: 100_000,
  maxBytes: 100 * 1024 * 1024,
  capPolicy: "evict-oldest",
  maxRetries: 5,
  leaseMs: 60_000,
  maxMemoryEvents: 10_000,
  retryIntervalMs: 1_000,
  busyTimeoutMs: 5_000,
} as const;

/** The state directory: the option, else `EVENTS_HOME`, else `~/.events`. */
export function resolveHome(home: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["EVENTS_HOME"];
  if (home !== undefined) return resolve(home);
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(homedir(), ".events");
}

function count(value: number | undefined, fallback: number, minimum = 0): number {
  return value !== undefined && Number.isFinite(value) && value >= minimum ? Math.floor(value) : fallback;
}

export function resolveOptions(options: EmitterOptions = {}): ResolvedOptions {
  const home = resolveHome(options.home);
  return {
    home,
    databasePath: join(home, "queue.db"),
    projectRoot: options.projectRoot === undefined ? undefined : resolve(options.projectRoot),
    project: options.project,
    autoSync: options.autoSync,
    correlationId: options.correlationId ?? null,
    nodeId: options.nodeId,
    teamSlug: options.teamSlug,
    maxRows: count(options.maxRows, DEFAULTS.maxRows, 1),
    maxBytes: count(options.maxBytes, DEFAULTS.maxBytes, 1),
    capPolicy: options.capPolicy === "reject-new" ? "reject-new" : DEFAULTS.capPolicy,
    maxRetries: count(options.maxRetries, DEFAULTS.maxRetries),
    leaseMs: count(options.leaseMs, DEFAULTS.leaseMs, 1),
    maxMemoryEvents: count(options.maxMemoryEvents, DEFAULTS.maxMemoryEvents),
    retryIntervalMs: count(options.retryIntervalMs, DEFAULTS.retryIntervalMs),
    busyTimeoutMs: count(options.busyTimeoutMs, DEFAULTS.busyTimeoutMs),
    maxDatabasePages: count(options.maxDatabasePages, 0, 1) || undefined,
    debug: options.debug ?? debugFromEnv(),
    exitHook: options.exitHook ?? true,
    now: options.now ?? Date.now,
    serverUrl: options.serverUrl,
    token: options.token,
    exitFlushMs: count(options.exitFlushMs, DEFAULTS.exitFlushMs),
    syncTransport: options.syncTransport === "http" ? "http" : "ws",
    syncTuning: options.syncTuning ?? {},
    syncBackground: options.syncBackground ?? backgroundFromEnv(),
    leaseOwnerPrefix: "",
  };
}

/** `EVENTS_SYNC_BACKGROUND`: `0`/`false`/`off` is off, `1`/`true`/`on` is on, anything else says nothing. */
function backgroundFromEnv(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const value = env["EVENTS_SYNC_BACKGROUND"]?.trim().toLowerCase();
  if (value === "0" || value === "false" || value === "off") return false;
  if (value === "1" || value === "true" || value === "on") return true;
  return undefined;
}
