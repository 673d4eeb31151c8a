/**
 * Everything `startHub` can be told, with its default. `resolveOptions` turns the
 * partial options into one fully filled, validated record, so no other module
 * repeats a default or checks a range.
 */
import { createHash } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_LIMITS as SHARED_DEFAULT_LIMITS, type Limits } from "@events/schema";
import { HubError } from "./errors.js";
import { createLogger, defaultLogLevel, type Logger, type LogLevel } from "./logger.js";
import { DEFAULT_FAN_OUT_SLICE } from "./broker/broker.js";

export interface HubOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. @default 8787 */
  port?: number;
  /** Directory holding the SQLite file `hub.db` (created if missing). @default "./.events-hub" */
  dataDir?: string;
  /** A `postgres://` URL; when set the hub stores in PostgreSQL instead of SQLite. @default undefined */
  databaseUrl?: string;
  /** A `redis://` URL: with a PostgreSQL `databaseUrl` the hub runs as one node of a cluster (README, "Running a cluster"). @default undefined (one process) */
  redisUrl?: string;
  /** Prefix of the cluster's Redis channels (`<prefix>:commits`, `<prefix>:control`); nodes of one cluster share it. @default "events" */
  busPrefix?: string;
  /** How long a node waits for a late bus message before reading the gap from the store, in ms. @default 50 */
  busGapWaitMs?: number;
  /** Most events a node holds in its reorder buffer; past it the buffer is dropped and read from the store. @default 10_000 */
  busReorderMaxEvents?: number;
  /** Commits up to this many bytes travel inline on the bus; larger ones as seq ranges per stream, read from the store. @default 262_144 */
  busMaxMessageBytes?: number;
  /** How often a node checks that everything the store held at the previous check was delivered, in ms. @default 1_000 */
  busCatchUpIntervalMs?: number;
  /** How long start waits for Redis before running on the store alone (it keeps reconnecting), in ms. @default 5_000 */
  busConnectTimeoutMs?: number;
  /**
   * PostgreSQL `lock_timeout` of the hub's connections, in ms: a write that waits this long for a
   * stream's row (another node appends to the same stream) fails and is answered `unavailable` (retryable). 0 turns it off.
   * @default 5_000
   */
  pgLockTimeoutMs?: number;
  /** PostgreSQL `statement_timeout` of the hub's connections, in ms: no statement runs longer (answered `unavailable`). 0 turns it off. @default 30_000 */
  pgStatementTimeoutMs?: number;
  /**
   * PostgreSQL `idle_in_transaction_session_timeout` of the hub's connections, in ms: a hub that stalls
   * inside a transaction (holding the counter row) loses its session and its lock after this long. 0 turns it off.
   * @default 10_000
   */
  pgIdleInTransactionTimeoutMs?: number;
  /** SQLite `synchronous` pragma: `full` survives power loss, `normal` (with WAL) survives a crashed hub. @default "normal" */
  sqliteSynchronous?: "normal" | "full";
  /**
   * Path of the unix datagram ingest socket (statemachine-engine's `send-event`); `false` turns
   * datagram ingest off. Off unless asked, so a library's hub never takes a socket it was not
   * given; `events serve` asks for `defaultSocketPath(dataDir)` on SQLite. @default false
   */
  socketPath?: string | false;
  /** Directory holding machines' control sockets, `<controlDir>/<controlPrefix><machine>.sock`. @default the runtime dir */
  controlDir?: string;
  /**
   * File-name prefix of machines' control sockets. statemachine-engine's machines listen at
   * `/tmp/statemachine-control-<machine>.sock`: `controlDir: "/tmp"`, `controlPrefix: "statemachine-control-"`.
   * @default "control-"
   */
  controlPrefix?: string;
  /** Project uuid stamped on events that arrive by datagram (which carry none). @default null */
  datagramProject?: string | null;
  /**
   * Largest datagram taken, in bytes; a larger one is refused as `too_large`. At most 65,534: the
   * socket reads 65,535 bytes, and a datagram that fills the read may have been cut. @default 65_534
   */
  maxDatagramBytes?: number;
  /**
   * A refused datagram is reported in the activity log (target `ui`) at most once per reason in
   * this many milliseconds; the next report counts the ones in between. @default 10_000
   */
  datagramWarningIntervalMs?: number;
  /** The admin token; when absent one is generated at first start and returned once. @default process.env.EVENTS_ADMIN_TOKEN */
  adminToken?: string;
  /** The hub's node id in `welcome`, on events it creates and on its metrics. @default "hub-" + a hash of the host name and store (in a cluster, and the port or pid) */
  nodeId?: string;
  /** Limits advertised in `welcome` and `GET /api/v1/limits`; past each the hub refuses (see README). @default DEFAULT_LIMITS */
  limits?: Partial<Limits>;
  /** Interval of WebSocket pings and SSE heartbeat comments, in milliseconds. @default 15_000 */
  heartbeatMs?: number;
  /** A WebSocket peer that answers no ping for this long is closed with 4408. @default 30_000 */
  pingTimeoutMs?: number;
  /** A connection that must authenticate (no header, waiting for `hello`) is closed with 4401 after this long. @default 10_000 */
  helloTimeoutMs?: number;
  /** A subscriber whose socket takes nothing for this long while frames wait is closed (4429 / SSE `end`). @default 10_000 */
  sendTimeoutMs?: number;
  /** A subscriber that stays at its queue limit (dropping the oldest) this long is closed with 4429. @default 5_000 */
  slowConsumerGraceMs?: number;
  /** A closing connection that has not finished the close (it is not reading) is destroyed after this long. @default 2_000 */
  closeGraceMs?: number;
  /** Bytes a subscriber's socket may hold unsent before the hub queues frames in its own bounded queue. @default 262_144 */
  sendHighWaterBytes?: number;
  /** `retry:` sent to SSE clients, in milliseconds. @default 2_000 */
  sseRetryMs?: number;
  /** An SSE stream is ended with an `end` event after this long (the client reconnects and resumes). @default 1_800_000 */
  sseMaxLifetimeMs?: number;
  /** Lifetime of a stream ticket (`POST /api/v1/stream-tickets`), in milliseconds. @default 300_000 */
  ticketTtlMs?: number;
  /**
   * Most events written in one store transaction. One commit is fanned out at once,
   * so it is also capped at `subscriber_queue_events` (and the transaction at
   * `subscriber_queue_bytes`): a subscriber that keeps up never drops a commit's events.
   * @default the subscriber_queue_events limit (1_000)
   */
  writeBatchMax?: number;
  /**
   * Subscribers handed new events per turn of the event loop. Fan-out walks the
   * subscribers this many at a time; between slices the hub reads its sockets and
   * commits what came, and events committed meanwhile join the walk where it is,
   * so a subscriber waits at most one walk for an event, not the rest of one walk and
   * then its turn in the next. @default 64
   */
  fanOutSlice?: number;
  /** Keep at most this many events; older ones are pruned and resuming before them gets `reset`. @default undefined (keep all) */
  retainEvents?: number;
  /** How often retention runs, in milliseconds. @default 60_000 */
  retentionIntervalMs?: number;
  /** A logger, or the level of the built-in stderr logger. @default "silent" ("debug" when EVENTS_DEBUG=1) */
  logger?: Logger | LogLevel;
  /** Directory of the dashboard's built files (apps/web `dist`), served at `/`; none when absent. @default undefined */
  dashboardDir?: string;
}

/** The defaults live with the wire, so clients and hub agree on them. */
export const DEFAULT_LIMITS: Readonly<Limits> = SHARED_DEFAULT_LIMITS;

/** Server-side timeouts of every PostgreSQL connection, in ms (0: off). */
export interface PostgresTimeouts {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
}

export type StoreConfig =
  | { readonly kind: "sqlite"; readonly file: string; readonly synchronous: "normal" | "full" }
  | { readonly kind: "postgres"; readonly url: string; readonly timeouts: PostgresTimeouts };

/** Cluster mode: set when both a PostgreSQL store and a Redis URL are given. */
export interface ClusterConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly gapWaitMs: number;
  readonly reorderMaxEvents: number;
  readonly maxMessageBytes: number;
  readonly catchUpIntervalMs: number;
  readonly connectTimeoutMs: number;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly store: StoreConfig;
  readonly cluster: ClusterConfig | undefined;
  readonly socketPath: string | false;
  readonly controlDir: string;
  readonly controlPrefix: string;
  readonly datagramProject: string | null;
  readonly maxDatagramBytes: number;
  readonly datagramWarningIntervalMs: number;
  readonly adminToken: string | undefined;
  readonly nodeId: string;
  readonly limits: Readonly<Limits>;
  readonly heartbeatMs: number;
  readonly pingTimeoutMs: number;
  readonly helloTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly slowConsumerGraceMs: number;
  readonly sendHighWaterBytes: number;
  readonly closeGraceMs: number;
  readonly sseRetryMs: number;
  readonly sseMaxLifetimeMs: number;
  readonly ticketTtlMs: number;
  readonly writeBatchMax: number;
  readonly fanOutSlice: number;
  readonly retainEvents: number | undefined;
  readonly retentionIntervalMs: number;
  readonly logger: Logger;
  readonly dashboardDir: string | undefined;
}

/** The largest datagram the ingest socket can tell from a cut one: its reads are 65,535 bytes. */
export const MAX_DATAGRAM_BYTES = 65_534;

/** The longest unix socket path a bind takes everywhere (Linux: 108 bytes with the NUL, macOS: 104). */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * Where `events serve` takes datagrams by default: `<dataDir>/events.sock`, so two hubs
 * with their own data never share a socket. A data dir too deep for a socket path gets
 * `<runtime dir>/events-<hash of the data dir>.sock`, still one per data dir.
 */
export function defaultSocketPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = resolve(dataDir);
  const path = join(dir, "events.sock");
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES) return path;
  return join(runtimeDir(env), `events-${createHash("sha256").update(dir).digest("hex").slice(0, 12)}.sock`);
}

/** Where per-user sockets live: `$XDG_RUNTIME_DIR`, else the temp dir. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["XDG_RUNTIME_DIR"] ?? tmpdir();
}

export function resolveOptions(options: HubOptions, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const runtime = runtimeDir(env);
  const store = storeConfig(options);
  const cluster = clusterConfig(options, store);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) positiveInteger(`limits.${name}`, value);
  const logger = options.logger;
  const resolved: ResolvedOptions = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 8787,
    store,
    cluster,
    socketPath: options.socketPath ?? false,
    controlDir: options.controlDir ?? runtime,
    controlPrefix: options.controlPrefix ?? "control-",
    datagramProject: options.datagramProject ?? null,
    maxDatagramBytes: options.maxDatagramBytes ?? MAX_DATAGRAM_BYTES,
    datagramWarningIntervalMs: options.datagramWarningIntervalMs ?? 10_000,
    adminToken: options.adminToken ?? nonEmpty(env["EVENTS_ADMIN_TOKEN"]),
    nodeId: options.nodeId ?? defaultNodeId(store, cluster === undefined ? undefined : String(options.port || process.pid)),
    limits: Object.freeze(limits),
    heartbeatMs: options.heartbeatMs ?? 15_000,
    pingTimeoutMs: options.pingTimeoutMs ?? 30_000,
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    sendTimeoutMs: options.sendTimeoutMs ?? 10_000,
    slowConsumerGraceMs: options.slowConsumerGraceMs ?? 5_000,
    sendHighWaterBytes: options.sendHighWaterBytes ?? 262_144,
    closeGraceMs: options.closeGraceMs ?? 2_000,
    sseRetryMs: options.sseRetryMs ?? 2_000,
    sseMaxLifetimeMs: options.sseMaxLifetimeMs ?? 1_800_000,
    ticketTtlMs: options.ticketTtlMs ?? 300_000,
    writeBatchMax: Math.min(options.writeBatchMax ?? limits.subscriber_queue_events, limits.subscriber_queue_events),
    fanOutSlice: options.fanOutSlice ?? DEFAULT_FAN_OUT_SLICE,
    retainEvents: options.retainEvents,
    retentionIntervalMs: options.retentionIntervalMs ?? 60_000,
    logger: typeof logger === "object" ? logger : createLogger(logger ?? defaultLogLevel(env)),
    dashboardDir: options.dashboardDir === undefined || options.dashboardDir === "" ? undefined : resolve(options.dashboardDir),
  };
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65_535) {
    throw new HubError("config", `port: expected an integer from 0 to 65535, received ${String(resolved.port)}`);
  }
  for (const name of [
    "heartbeatMs",
    "pingTimeoutMs",
    "helloTimeoutMs",
    "sendTimeoutMs",
    "slowConsumerGraceMs",
    "sendHighWaterBytes",
    "closeGraceMs",
    "sseRetryMs",
    "sseMaxLifetimeMs",
    "ticketTtlMs",
    "writeBatchMax",
    "fanOutSlice",
    "retentionIntervalMs",
    "maxDatagramBytes",
    "datagramWarningIntervalMs",
  ] as const) {
    positiveInteger(name, resolved[name]);
  }
  if (!/^[A-Za-z0-9_.-]{0,64}$/.test(resolved.controlPrefix)) {
    throw new HubError("config", `controlPrefix: expected up to 64 of A-Z a-z 0-9 _ . -, received ${JSON.stringify(resolved.controlPrefix.slice(0, 80))}`);
  }
  if (resolved.maxDatagramBytes > MAX_DATAGRAM_BYTES) {
    throw new HubError("config", `maxDatagramBytes: expected at most ${MAX_DATAGRAM_BYTES} (the socket reads 65,535 bytes at once), received ${resolved.maxDatagramBytes}`);
  }
  if (resolved.retainEvents !== undefined) positiveInteger("retainEvents", resolved.retainEvents);
  if (cluster !== undefined) {
    for (const name of ["gapWaitMs", "reorderMaxEvents", "maxMessageBytes", "catchUpIntervalMs", "connectTimeoutMs"] as const) {
      positiveInteger(`bus ${name}`, cluster[name]);
    }
  }
  return resolved;
}

function storeConfig(options: HubOptions): StoreConfig {
  if (options.databaseUrl !== undefined && options.databaseUrl !== "") {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new HubError("config", "databaseUrl: expected a postgres:// URL; leave it out to use SQLite in dataDir");
    }
    const timeouts: PostgresTimeouts = {
      lockTimeoutMs: options.pgLockTimeoutMs ?? 5_000,
      statementTimeoutMs: options.pgStatementTimeoutMs ?? 30_000,
      idleInTransactionTimeoutMs: options.pgIdleInTransactionTimeoutMs ?? 10_000,
    };
    for (const name of ["lockTimeoutMs", "statementTimeoutMs", "idleInTransactionTimeoutMs"] as const) nonNegativeInteger(`pg ${name}`, timeouts[name]);
    return { kind: "postgres", url: options.databaseUrl, timeouts };
  }
  const dir = resolve(options.dataDir ?? ".events-hub");
  return { kind: "sqlite", file: join(dir, "hub.db"), synchronous: options.sqliteSynchronous ?? "normal" };
}

function clusterConfig(options: HubOptions, store: StoreConfig): ClusterConfig | undefined {
  const redisUrl = nonEmpty(options.redisUrl);
  if (redisUrl === undefined) return undefined;
  if (!/^rediss?:\/\//.test(redisUrl)) throw new HubError("config", "redisUrl: expected a redis:// or rediss:// URL");
  if (store.kind !== "postgres") {
    throw new HubError("config", "redisUrl needs a PostgreSQL databaseUrl: the nodes of a cluster share one store (leave both out for one process on SQLite)");
  }
  const prefix = options.busPrefix ?? "events";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new HubError("config", `busPrefix: expected 1-64 letters, digits or _.:-, received ${JSON.stringify(prefix)}`);
  return {
    redisUrl,
    prefix,
    gapWaitMs: options.busGapWaitMs ?? 50,
    reorderMaxEvents: options.busReorderMaxEvents ?? 10_000,
    maxMessageBytes: options.busMaxMessageBytes ?? 262_144,
    catchUpIntervalMs: options.busCatchUpIntervalMs ?? 1_000,
    connectTimeoutMs: options.busConnectTimeoutMs ?? 5_000,
  };
}

/** Stable per machine and store; a cluster node adds its port (or pid), since several may share both. */
function defaultNodeId(store: StoreConfig, instance: string | undefined): string {
  const where = store.kind === "sqlite" ? store.file : store.url.replace(/\/\/[^@]*@/, "//");
  const hash = createHash("sha256").update(`${hostname()}\u0000${where}`).digest("hex").slice(0, 12);
  return instance === undefined ? `hub-${hash}` : `hub-${hash}-${instance}`;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new HubError("config", `${name}: expected a positive integer, received ${String(value)}`);
  }
}

function nonNegativeInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new HubError("config", `${name}: expected a non-negative integer (0 turns it off), received ${String(value)}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
