/** `events serve` and `events token create|list|revoke`. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { failure, usageError } from "../errors.js";
import { colour, print, printJson } from "../output.js";

export interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  busPrefix?: string;
  nodeId?: string;
  socket?: string | false;
}

export async function serve(flags: ServeFlags): Promise<void> {
  const { startHub, hubOptionsFrom } = await import("@events/server");
  // Flags over the environment, read as the hub's own entry point reads it (PORT,
  // EVENTS_DATABASE_URL, EVENTS_REDIS_URL, EVENTS_PG_*, ...).
  const options = hubOptionsFrom(flags);
  const port = options.port ?? 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw usageError(`--port must be a port number, got "${flags.port ?? process.env["PORT"]}"`);
  const redisUrl = options.redisUrl;
  const dashboardDir = builtDashboard(options.dashboardDir);
  let hub;
  try {
    hub = await startHub({
      host: "127.0.0.1",
      ...options,
      port,
      ...(dashboardDir === undefined ? {} : { dashboardDir }),
      logger: process.env["EVENTS_DEBUG"] === "1" ? "debug" : "info",
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw failure(`the hub could not start: ${message}`, /EADDRINUSE/.test(message) ? "another process uses that port; pick one with --port" : "check --data-dir / --database-url / --redis-url");
  }
  print(`events hub listening on ${colour.bold(hub.url)}`);
  print(dashboardDir === undefined ? `  dashboard  not built (run \`pnpm build\`, or set EVENTS_DASHBOARD_DIR)` : `  dashboard  ${hub.url}/`);
  print(`  WebSocket  ${hub.url.replace(/^http/, "ws")}/api/v1/ws    SSE ${hub.url}/api/events`);
  print(`  datagrams  ${hub.socketPath ?? "off (--socket PATH takes statemachine-engine's send-event datagrams)"}`);
  if (redisUrl !== undefined) print(`  cluster    node ${hub.nodeId} (PostgreSQL store, Redis bus); health ${hub.url}/healthz`);
  if (hub.adminToken !== null && (process.env["EVENTS_ADMIN_TOKEN"] ?? "") === "") {
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
