/**
 * A cluster for tests and the bench: hub nodes as separate processes (from the build
 * when it is fresh, else from source; `--port 0`, the URL read from their output) on
 * a fresh PostgreSQL database and a Redis channel prefix of their own; what the store
 * holds, each node's health and metrics. Clients are in clients.ts, services a test
 * may restart in private-services.ts. No vitest imports, so the bench uses it too.
 */
import { readdirSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { defaultEntry, freePort, spawnHub, type HubProcess } from "../../src/testing.js";
import { POSTGRES_BASE, postgresMissing as postgresProbe } from "../helpers/postgres.js";

export { freePort, POSTGRES_BASE };

export const REDIS_URL = process.env["EVENTS_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
export const ADMIN = "cluster-test-admin-token-0123456789";

/** Resolves when `check` holds, polling every `pollMs` (the bench polls finely: it times the wait); throws naming `what` past `timeoutMs`. */
export async function until(check: () => boolean, options: { readonly timeoutMs: number; readonly what: string; readonly pollMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${options.timeoutMs} ms for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 20));
  }
}
const SERVER_DIR = fileURLToPath(new URL("../../", import.meta.url));
const BUILT_MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
const SOURCE_DIR = fileURLToPath(new URL("../../src/", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let entry: string[] | undefined;
/**
 * How a node is started: the build when it is newer than every source file (as after
 * `pnpm build`, which the test task runs first), else the source through tsx. A node
 * starts from the build in half the time, and a cluster test starts many.
 */
function nodeEntry(): string[] {
  if (entry !== undefined) return entry;
  let built: boolean;
  try {
    built = statSync(BUILT_MAIN).mtimeMs >= newestMtime(SOURCE_DIR);
  } catch {
    built = false;
  }
  entry = built ? [BUILT_MAIN] : defaultEntry();
  return entry;
}

/** Why PostgreSQL cannot be used, or undefined when it can (probed once, by the store tests' helper). */
export function postgresMissing(): Promise<string | undefined> {
  return Promise.resolve(postgresProbe === undefined ? undefined : `PostgreSQL at ${POSTGRES_BASE} is unreachable (${postgresProbe})`);
}

/** Why a service cannot be used, or undefined when it can. */
export async function redisMissing(url = REDIS_URL): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (why: string | undefined): void => {
      socket.destroy();
      resolve(why === undefined ? undefined : `Redis at ${url} is unreachable (${why})`);
    };
    socket.setTimeout(3_000, () => done("timeout"));
    socket.once("error", (error) => done(error.message));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG") ? undefined : `answered ${data.toString().trim()}`));
  });
}

/** A database of its own: `CREATE DATABASE events_cluster_<random>`, dropped by `drop()`. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `events_cluster_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_BASE });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_BASE);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_BASE });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface StoredCounts {
  readonly rows: number;
  /** Distinct event ids: equal to `rows` when nothing was stored twice. */
  readonly distinct: number;
  readonly streams: number;
  /** Seqs missing below each stream's newest, summed: 0 when every stream is numbered without a hole. */
  readonly holes: number;
}

/** What the events table holds. */
export async function storedCounts(databaseUrl: string): Promise<StoredCounts> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ rows: string; uniq: string; streams: string; holes: string | null }>(
      `select sum(n) as rows, (select count(distinct event_id) from events) as uniq, count(*) as streams, sum(top - n) as holes
         from (select stream, count(*) as n, max(stream_seq) as top from events group by stream) per_stream`,
    );
    const row = result.rows[0]!;
    return { rows: Number(row.rows ?? 0), distinct: Number(row.uniq), streams: Number(row.streams), holes: Number(row.holes ?? 0) };
  } finally {
    await client.end();
  }
}

/** Where each stored event is: event id -> (stream, seq). */
export async function storedPositions(databaseUrl: string): Promise<Map<string, { stream: string; seq: number }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ event_id: string; stream: string; stream_seq: string }>("select event_id, stream, stream_seq from events");
    return new Map(result.rows.map((row) => [row.event_id, { stream: row.stream, seq: Number(row.stream_seq) }]));
  } finally {
    await client.end();
  }
}

export type NodeProcess = HubProcess;

export interface NodeOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly nodeId?: string;
  readonly env?: Record<string, string>;
}

/** A hub node as a separate process; resolves when it prints its URL. */
export async function startNode(options: NodeOptions): Promise<NodeProcess> {
  const args = ["--port", "0", "--no-socket", "--database-url", options.databaseUrl, "--redis-url", options.redisUrl, "--bus-prefix", options.prefix];
  if (options.nodeId !== undefined) args.push("--node-id", options.nodeId);
  return spawnHub({ entry: nodeEntry(), args, cwd: SERVER_DIR, env: { EVENTS_ADMIN_TOKEN: ADMIN, ...options.env } });
}

/** Fetches a node's /healthz body and status. */
export async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A metric's value from a node's /metrics (the first sample of that name). */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name}{`) || row.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

export function uniquePrefix(): string {
  return `events-test-${randomBytes(5).toString("hex")}`;
}
