/**
 * Runs the hub from the command line and the environment (`pnpm start`):
 *   node --import tsx packages/server/src/main.ts [--host H] [--port P]
 *     [--data-dir DIR | --database-url postgres://...] [--socket PATH | --no-socket]
 *     [--dashboard-dir apps/web/dist]
 * Environment: the variables of `HUB_ENV` (src/env-options.ts: PORT, EVENTS_HOST,
 * EVENTS_DATA_DIR, EVENTS_DATABASE_URL, EVENTS_REDIS_URL, ..., EVENTS_PG_*), read as
 * `events serve` reads them, plus EVENTS_ADMIN_TOKEN and EVENTS_DEBUG=1. Cluster mode:
 * --database-url postgres://... with --redis-url redis://... Prints the URL and how to
 * authenticate; the admin token only at the first start, when it was generated.
 */
import { parseArgs } from "node:util";
import { hubOptionsFrom } from "./env-options.js";
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
  const options = hubOptionsFrom(
    {
      host: values.host,
      port: values.port,
      dataDir: values["data-dir"],
      databaseUrl: values["database-url"],
      redisUrl: values["redis-url"],
      busPrefix: values["bus-prefix"],
      nodeId: values["node-id"],
      socket: values["no-socket"] === true ? false : values.socket,
      dashboardDir: values["dashboard-dir"],
    },
    env,
  );
  const redisUrl = options.redisUrl;
  const dashboardDir = options.dashboardDir;
  const hub = await startHub({
    host: "127.0.0.1",
    port: 8787,
    ...options,
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

main().catch((error: unknown) => {
  const message = error instanceof HubError ? `${error.code}: ${error.message}` : String(error);
  process.stderr.write(`events hub failed to start: ${message}\n`);
  process.exit(1);
});
