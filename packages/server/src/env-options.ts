/**
 * The hub's settings from the environment, read the same way by `events serve` and by
 * `src/main.ts`: flags given on the command line win over these. Empty values count
 * as unset. Ranges are checked by `resolveOptions`, which names the variable's option.
 */
import { defaultSocketPath, type HubOptions } from "./options.js";

type EnvOptions = Pick<
  HubOptions,
  | "host"
  | "port"
  | "dataDir"
  | "databaseUrl"
  | "redisUrl"
  | "busPrefix"
  | "nodeId"
  | "socketPath"
  | "controlDir"
  | "controlPrefix"
  | "dashboardDir"
  | "pgLockTimeoutMs"
  | "pgStatementTimeoutMs"
  | "pgIdleInTransactionTimeoutMs"
>;

/** Each variable and the option it sets. */
export const HUB_ENV = {
  EVENTS_HOST: "host",
  PORT: "port",
  EVENTS_DATA_DIR: "dataDir",
  EVENTS_DATABASE_URL: "databaseUrl",
  EVENTS_REDIS_URL: "redisUrl",
  EVENTS_BUS_PREFIX: "busPrefix",
  EVENTS_NODE_ID: "nodeId",
  EVENTS_SOCKET: "socketPath",
  EVENTS_CONTROL_DIR: "controlDir",
  EVENTS_CONTROL_PREFIX: "controlPrefix",
  EVENTS_DASHBOARD_DIR: "dashboardDir",
  EVENTS_PG_LOCK_TIMEOUT_MS: "pgLockTimeoutMs",
  EVENTS_PG_STATEMENT_TIMEOUT_MS: "pgStatementTimeoutMs",
  EVENTS_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: "pgIdleInTransactionTimeoutMs",
} as const satisfies Record<string, keyof EnvOptions>;

const NUMERIC = new Set<keyof EnvOptions>(["port", "pgLockTimeoutMs", "pgStatementTimeoutMs", "pgIdleInTransactionTimeoutMs"]);

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const options: Record<string, string | number> = {};
  for (const [variable, option] of Object.entries(HUB_ENV) as [keyof typeof HUB_ENV, keyof EnvOptions][]) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    options[option] = NUMERIC.has(option) ? Number(value) : value;
  }
  return options;
}

/** Command-line flags of `events serve` and `src/main.ts`, as parsed strings. */
export interface HubFlags {
  host?: string | undefined;
  port?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  busPrefix?: string | undefined;
  nodeId?: string | undefined;
  /** A path, or false for no datagram socket. */
  socket?: string | false | undefined;
  dashboardDir?: string | undefined;
}

/**
 * The environment's settings with the flags given over them (an empty flag counts as not
 * given), both over a config file's options (`loadHubConfig`), and the datagram socket of
 * a hub run from the command line: unless `--socket`, `--no-socket`, `EVENTS_SOCKET` or
 * the file's `socket_path` says otherwise, `<data dir>/events.sock` on SQLite and none on
 * PostgreSQL (cluster nodes share a working directory; give each node its own).
 */
export function hubOptionsFrom(flags: HubFlags, env: NodeJS.ProcessEnv = process.env, file: HubOptions = {}): HubOptions {
  const options: Record<string, unknown> = { ...file, ...hubOptionsFromEnv(env) };
  const set = (option: keyof EnvOptions, value: string | number | false | undefined): void => {
    if (value !== undefined && value !== "") options[option] = value;
  };
  set("host", flags.host);
  set("port", flags.port === undefined || flags.port === "" ? undefined : Number(flags.port));
  set("dataDir", flags.dataDir);
  set("databaseUrl", flags.databaseUrl);
  set("redisUrl", flags.redisUrl);
  set("busPrefix", flags.busPrefix);
  set("nodeId", flags.nodeId);
  set("socketPath", flags.socket);
  set("dashboardDir", flags.dashboardDir);
  if (options["socketPath"] === undefined && options["databaseUrl"] === undefined) {
    options["socketPath"] = defaultSocketPath(typeof options["dataDir"] === "string" ? options["dataDir"] : ".events-hub", env);
  }
  return options;
}
