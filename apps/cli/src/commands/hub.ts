/** `events serve`, `events hub backup` and `events token create|list|revoke`. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HubOptions } from "@events/server";
import { failure, usageError } from "../errors.js";
import { colour, print, printJson } from "../output.js";

export interface ServeFlags {
  config?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  busPrefix?: string;
  nodeId?: string;
  socket?: string | false;
}

const CONFIG_HINT = "fix the file (deploy/hub.yaml lists every key with its default), or override the key with a flag or EVENTS_* variable";

/**
 * The hub's options as `events serve` runs it: the config file, the environment over it
 * (PORT, EVENTS_DATABASE_URL, ...), the flags over both; checked as the hub would check
 * them, so a bad setting is a usage error (exit 2) naming the key, before anything starts.
 */
async function hubOptions(flags: ServeFlags): Promise<HubOptions> {
  const { HubError, hubOptionsFrom, loadHubConfig, resolveOptions } = await import("@events/server");
  let file: HubOptions = {};
  if (flags.config !== undefined) {
    try {
      file = await loadHubConfig(flags.config);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw usageError(message, message.endsWith("no such file") ? "check the path given to --config (deploy/hub.yaml is an example)" : CONFIG_HINT);
    }
  }
  const options = hubOptionsFrom(flags, process.env, file);
  const port = options.port ?? 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw usageError(`--port must be a port number, got "${flags.port ?? process.env["PORT"] ?? String(options.port)}"`);
  }
  try {
    resolveOptions({ ...options, logger: "silent" });
  } catch (error) {
    if (error instanceof HubError && error.code === "config") throw usageError(error.message, CONFIG_HINT);
    throw error;
  }
  return options;
}

export async function serve(flags: ServeFlags): Promise<void> {
  const options = await hubOptions(flags);
  const { startHub } = await import("@events/server");
  const redisUrl = options.redisUrl;
  const dashboardDir = builtDashboard(options.dashboardDir);
  const logger = process.env["EVENTS_DEBUG"] === "1" ? "debug" : (options.logger ?? "info");
  let hub;
  try {
    hub = await startHub({
      host: "127.0.0.1",
      port: 8787,
      ...options,
      ...(dashboardDir === undefined ? {} : { dashboardDir }),
      logger,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw failure(`the hub could not start: ${message}`, /EADDRINUSE/.test(message) ? "another process uses that port; pick one with --port" : "check --data-dir / --database-url / --redis-url");
  }
  print(`events hub listening on ${colour.bold(hub.url)}`);
  if (flags.config !== undefined) print(`  config     ${flags.config} (flags and EVENTS_* variables override it)`);
  print(dashboardDir === undefined ? `  dashboard  not built (run \`pnpm build\`, or set EVENTS_DASHBOARD_DIR)` : `  dashboard  ${hub.url}/`);
  print(`  WebSocket  ${hub.url.replace(/^http/, "ws")}/api/v1/ws    SSE ${hub.url}/api/events`);
  print(`  datagrams  ${hub.socketPath ?? "off (--socket PATH takes statemachine-engine's send-event datagrams)"}`);
  if (redisUrl !== undefined) print(`  cluster    node ${hub.nodeId} (PostgreSQL store, Redis bus); health ${hub.url}/healthz`);
  if (hub.adminToken !== null && (process.env["EVENTS_ADMIN_TOKEN"] ?? "") === "" && options.adminToken === undefined) {
    print("");
    print(`${colour.yellow("admin token")} (shown once; only its hash is stored): ${hub.adminToken}`);
    print(`  make a project token:  events token create --project <uuid> --scope write --server ${hub.url} --admin-token <admin token>`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      print("stopping the hub…");
      void hub.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export interface BackupFlags {
  config?: string;
  dataDir?: string;
  force?: boolean;
  json?: boolean;
}

/** `events hub backup FILE`: an online copy of the SQLite store, safe while the hub runs. */
export async function hubBackup(to: string, flags: BackupFlags): Promise<void> {
  const options = await hubOptions({ ...flags, socket: false });
  if (options.databaseUrl !== undefined && options.databaseUrl !== "") {
    throw usageError(
      "this hub stores in PostgreSQL (EVENTS_DATABASE_URL, or database_url in the config); events hub backup copies the SQLite store only",
      'back PostgreSQL up with pg_dump: pg_dump --format=custom --file events.dump "$EVENTS_DATABASE_URL" (docs/self-hosting.md)',
    );
  }
  const { HubError, backupSqliteStore } = await import("@events/server");
  const started = Date.now();
  let result;
  try {
    result = await backupSqliteStore({ hub: options, to, overwrite: flags.force === true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof HubError ? error.code : "internal";
    if (code === "bad_request") throw usageError(message, "choose another file name, or pass --force to replace it");
    if (code === "not_found" && message.startsWith("no hub store")) {
      throw failure(message, "point --data-dir (or data_dir in --config) at the directory holding the hub's hub.db");
    }
    if (code === "not_found") throw usageError(message, "create the directory first, or back up elsewhere");
    throw failure(`the backup failed: ${message}`, "nothing was written to the backup file; check the disk and run it again");
  }
  if (flags.json === true) return printJson(result);
  const size = `${(result.bytes / 1_048_576).toFixed(1)} MiB`;
  const upTo = result.position === "" ? "" : ` (up to ${result.position})`;
  print(`backed up ${result.source} to ${result.file}: ${result.events} events${upTo}, ${size}, in ${Date.now() - started} ms`);
  print(colour.dim("restore: stop the hub, replace hub.db with this file (remove hub.db-wal and hub.db-shm), start the hub"));
}

/**
 * The dashboard's built files: `EVENTS_DASHBOARD_DIR`, else the copy of apps/web's
 * build that `pnpm build` puts in this package's `dist/dashboard`; undefined when
 * there is no `index.html` there.
 */
function builtDashboard(given: string | undefined): string | undefined {
  // The build puts every chunk in dist/, beside dist/dashboard (scripts/build.ts).
  const dir = given ?? fileURLToPath(new URL("./dashboard/", import.meta.url));
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}

export interface TokenFlags {
  server?: string;
  adminToken?: string;
  home?: string;
  project?: string;
  scope?: string[];
  json?: boolean;
}

async function admin(flags: TokenFlags): Promise<{ server: string; token: string }> {
  const sdk = await import("@events/sdk");
  const server = flags.server ?? sdk.resolveServer({ home: sdk.resolveHome(flags.home) }).serverUrl;
  const token = flags.adminToken ?? process.env["EVENTS_ADMIN_TOKEN"];
  if (server === undefined) throw usageError("no hub given", "pass --server <url> (or log in with `events auth login`)");
  if (token === undefined || token === "") throw usageError("token commands need the admin token", "pass --admin-token <token> or set EVENTS_ADMIN_TOKEN");
  return { server: server.replace(/\/$/, ""), token };
}

async function call(method: string, url: string, init: { token: string; body?: unknown }): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${init.token}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch (error) {
    throw failure(`the hub at ${new URL(url).origin} could not be reached: ${(error as Error).message}`, "is it running? start one with `events serve`");
  }
  const text = await response.text();
  const body = text === "" ? undefined : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? text;
    const hint = response.status === 401 || response.status === 403 ? "check the admin token (it was printed once, at the hub's first start)" : "see the hub's answer above";
    throw failure(`HTTP ${response.status}: ${message}`, hint);
  }
  return body;
}

export async function tokenCreate(flags: TokenFlags): Promise<void> {
  const { server, token } = await admin(flags);
  if (flags.project === undefined) throw usageError("token create needs --project <uuid>", "the project's uuid is in .events/config.yaml (events init)");
  const scopes = flags.scope === undefined || flags.scope.length === 0 ? ["read"] : flags.scope.flatMap((scope) => scope.split(","));
  const created = (await call("POST", `${server}/api/v1/tokens`, { token, body: { project: flags.project, scopes } })) as { id: string; token: string };
  if (flags.json === true) printJson(created);
  else {
    print(`token ${created.id} for project ${flags.project} (${scopes.join(", ")}):`);
    print(`  ${created.token}`);
    print(colour.dim("shown once; only its hash is stored. Use it with `events auth login --server URL --token TOKEN`."));
  }
}

export async function tokenList(flags: TokenFlags): Promise<void> {
  const { server, token } = await admin(flags);
  const listed = (await call("GET", `${server}/api/v1/tokens`, { token })) as { tokens?: unknown[] } | unknown[];
  const tokens = (Array.isArray(listed) ? listed : (listed.tokens ?? [])) as Array<Record<string, unknown>>;
  if (flags.json === true) return printJson(tokens);
  if (tokens.length === 0) return print("no project tokens");
  for (const entry of tokens) print(`${String(entry["id"])}  ${String(entry["project"])}  ${JSON.stringify(entry["scopes"])}${entry["revoked_at"] ? colour.red("  revoked") : ""}`);
}

export async function tokenRevoke(id: string, flags: TokenFlags): Promise<void> {
  const { server, token } = await admin(flags);
  await call("DELETE", `${server}/api/v1/tokens/${encodeURIComponent(id)}`, { token });
  if (flags.json === true) printJson({ revoked: id });
  else print(`token ${id} revoked; clients using it are refused from now on`);
}
