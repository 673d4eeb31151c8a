/**
 * Hubs for tests: port 0 on 127.0.0.1, a temp dir (SQLite) or a fresh PostgreSQL
 * schema, no datagram socket unless asked, closed and removed by `afterEach`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { startHub, type Hub, type HubOptions } from "../../src/index.js";
import { freshSchema } from "./postgres.js";

export type Backend = "sqlite" | "postgres";

export interface TestHub {
  readonly hub: Hub;
  readonly url: string;
  readonly wsUrl: string;
  readonly admin: string;
  readonly dir: string;
  /** The PostgreSQL URL (with its fresh schema) when on PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** Stops the hub and keeps its store (for restart tests); afterEach still cleans up. */
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
});

export interface TestHubOptions extends HubOptions {
  backend?: Backend;
  datagram?: boolean;
  /** Fills the hub's (SQLite) data dir before the hub opens it, e.g. with a store of an older version. */
  seedDataDir?: (dataDir: string) => Promise<void>;
}

export async function testHub(options: TestHubOptions = {}): Promise<TestHub> {
  const { backend = "sqlite", datagram = false, seedDataDir, ...rest } = options;
  const dir = mkdtempSync(join(tmpdir(), "events-hub-test-"));
  let databaseUrl: string | undefined = rest.databaseUrl;
  if (backend === "postgres" && rest.databaseUrl === undefined) {
    const schema = await freshSchema();
    databaseUrl = schema.url;
    cleanups.push(schema.drop);
  }
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  if (seedDataDir !== undefined) {
    mkdirSync(join(dir, "data"));
    await seedDataDir(join(dir, "data"));
  }
  const hub = await startHub({
    host: "127.0.0.1",
    port: 0,
    dataDir: join(dir, "data"),
    socketPath: datagram ? join(dir, "events.sock") : false,
    controlDir: dir,
    logger: "silent",
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...rest,
  });
  cleanups.push(() => hub.close());
  return {
    hub,
    url: hub.url,
    wsUrl: hub.url.replace(/^http/, "ws"),
    admin: hub.adminToken ?? rest.adminToken ?? "",
    dir,
    databaseUrl,
    stop: () => hub.close(),
  };
}

/** A new hub on the same store as a stopped one (same SQLite dir or PostgreSQL schema). */
export function restartOf(previous: TestHub, options: HubOptions = {}): Promise<TestHub> {
  return testHub({
    dataDir: join(previous.dir, "data"),
    ...(previous.databaseUrl === undefined ? {} : { databaseUrl: previous.databaseUrl }),
    ...options,
  });
}

/** Creates a project token through the HTTP API. */
export async function projectToken(hub: TestHub, project: string, scopes: ("read" | "write")[] = ["read", "write"]): Promise<string> {
  const response = await fetch(`${hub.url}/api/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ project, scopes }),
  });
  if (response.status !== 201) throw new Error(`token creation failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}
