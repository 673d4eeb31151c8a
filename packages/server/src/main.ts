/**
 * Runs the hub from the command line and the environment (`pnpm start`):
 *   node --import tsx packages/server/src/main.ts [--host H] [--port P]
 *     [--data-dir DIR | --database-url postgres://...] [--socket PATH | --no-socket]
 *     [--dashboard-dir apps/web/dist]
 * Environment: PORT, EVENTS_HOST, EVENTS_DATA_DIR, EVENTS_DATABASE_URL, EVENTS_SOCKET, EVENTS_DASHBOARD_DIR,
 * EVENTS_ADMIN_TOKEN, EVENTS_DEBUG=1. Cluster mode: --database-url postgres://... with
 * --redis-url redis://... (EVENTS_REDIS_URL), optionally --bus-prefix (EVENTS_BUS_PREFIX)
 * and --node-id (EVENTS_NODE_ID). PostgreSQL guards: EVENTS_PG_LOCK_TIMEOUT_MS,
 * EVENTS_PG_STATEMENT_TIMEOUT_MS, EVENTS_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS. Prints the URL and how to authenticate; the
 * admin token only at the first start, when it was generated.
 */
import { parseArgs } from "node:util";
import { startHub } from "./hub.js";
import { HubError } from "./errors.js";
import { createLogger } from "./logger.js";

const write = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  // `pnpm start -- --port 9000` passes the `--` through.
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      "redis-url": { type: "string" },
      "bus-prefix": { type: "string" },
      "node-id": { type: "string" },
      socket: { type: "string" },
      "no-socket": { type: "boolean" },
      "dashboard-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help === true) {
    write("usage: events-hub [--host 127.0.0.1] [--port 8787] [--data-dir ./.events-hub | --database-url postgres://... [--redis-url redis://... --bus-prefix events --node-id ID]] [--socket PATH | --no-socket] [--dashboard-dir DIR]");
    return;
  }
  const env = process.env;
  const port = values.port ?? env["PORT"];
  const socket = values["no-socket"] === true ? false : (values.socket ?? env["EVENTS_SOCKET"]);
  const databaseUrl = values["database-url"] ?? env["EVENTS_DATABASE_URL"];
  const dataDir = values["data-dir"] ?? env["EVENTS_DATA_DIR"];
  const redisUrl = values["redis-url"] ?? env["EVENTS_REDIS_URL"];
  const busPrefix = values["bus-prefix"] ?? env["EVENTS_BUS_PREFIX"];
  const nodeId = values["node-id"] ?? env["EVENTS_NODE_ID"];
  const dashboardDir = values["dashboard-dir"] ?? env["EVENTS_DASHBOARD_DIR"];
  const pgLockTimeoutMs = envInteger(env, "EVENTS_PG_LOCK_TIMEOUT_MS");
  const pgStatementTimeoutMs = envInteger(env, "EVENTS_PG_STATEMENT_TIMEOUT_MS");
  const pgIdleInTransactionTimeoutMs = envInteger(env, "EVENTS_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS");
  const hub = await startHub({
    host: values.host ?? env["EVENTS_HOST"] ?? "127.0.0.1",
    port: port === undefined ? 8787 : Number(port),
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(redisUrl === undefined || redisUrl === "" ? {} : { redisUrl }),
    ...(busPrefix === undefined || busPrefix === "" ? {} : { busPrefix }),
    ...(nodeId === undefined || nodeId === "" ? {} : { nodeId }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(socket === undefined ? {} : { socketPath: socket }),
    ...(dashboardDir === undefined || dashboardDir === "" ? {} : { dashboardDir }),
    ...(pgLockTimeoutMs === undefined ? {} : { pgLockTimeoutMs }),
    ...(pgStatementTimeoutMs === undefined ? {} : { pgStatementTimeoutMs }),
    ...(pgIdleInTransactionTimeoutMs === undefined ? {} : { pgIdleInTransactionTimeoutMs }),
    logger: createLogger(env["EVENTS_DEBUG"] === "1" ? "debug" : "info"),
  });
  write(`events hub listening on ${hub.url}`);
  if (redisUrl !== undefined && redisUrl !== "") write(`  cluster node ${hub.nodeId} (PostgreSQL store, Redis bus)   health ${hub.url}/healthz`);
  write(`  WebSocket ${hub.url.replace(/^http/, "ws")}/api/v1/ws   SSE ${hub.url}/api/events   metrics ${hub.url}/metrics`);
  if (hub.socketPath !== undefined) write(`  datagram ingest socket ${hub.socketPath}`);
  if (dashboardDir !== undefined && dashboardDir !== "") write(`  dashboard ${hub.url}/`);
  if (hub.adminToken !== null && env["EVENTS_ADMIN_TOKEN"] === undefined) {
    write("");
    write(`admin token (shown once; only its hash is stored): ${hub.adminToken}`);
  }
  write("");
  write("authenticate with:  Authorization: Bearer <token>");
  write(`create a project token:  curl -X POST ${hub.url}/api/v1/tokens -H "Authorization: Bearer $ADMIN" \\`);
  write(`  -H 'content-type: application/json' -d '{"project":"<project uuid>","scopes":["read","write"]}'`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    write(`${signal}: finishing stored writes and closing subscribers...`);
    hub.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** An integer from the environment; resolveOptions checks its range. */
function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : Number(value);
}

main().catch((error: unknown) => {
  const message = error instanceof HubError ? `${error.code}: ${error.message}` : String(error);
  process.stderr.write(`events hub failed to start: ${message}\n`);
  process.exit(1);
});
