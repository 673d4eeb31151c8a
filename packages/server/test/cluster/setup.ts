/**
 * What every cluster test shares: the service check (skip with a message naming
 * the service, or fail under CI), a database and a channel prefix of its own per
 * test, nodes as processes, and cleanup after each test.
 */
import { spawnSync } from "node:child_process";
import { afterEach } from "vitest";
import { freshDatabase, postgresMissing, redisMissing, REDIS_URL, startNode, uniquePrefix, type NodeProcess } from "./harness.js";
import { postgresBinaries } from "./private-services.js";

const missing = (await postgresMissing()) ?? (await redisMissing());

function skipOrFail(context: { skip: (note?: string) => void }, why: string | undefined): void {
  if (why === undefined) return;
  if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${why}; CI requires it`);
  process.stderr.write(`skipped: ${why}\n`);
  context.skip(why);
}

export function requireServices(context: { skip: (note?: string) => void }): void {
  skipOrFail(context, missing);
}

/** The machine's services, plus the server binaries a test starts private copies of (to restart them). */
export function requirePrivateServers(context: { skip: (note?: string) => void }): void {
  skipOrFail(context, missing ?? privateServersMissing());
}

function privateServersMissing(): string | undefined {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return "redis-server is not on the PATH (a test starts and restarts a private one)";
  if (postgresBinaries() === undefined) return "PostgreSQL's initdb and pg_ctl were not found (a test starts and restarts a private server)";
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0) return "there is no postgres user to run a private PostgreSQL as (it refuses to run as root)";
  return undefined;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

export interface TestCluster {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly nodes: NodeProcess[];
  /** Starts one more node on the same store and bus. */
  add(): Promise<NodeProcess>;
}

/** `count` nodes on a fresh database (unless given) and a fresh channel prefix (the shared Redis unless given). */
export async function testCluster(count: number, options: { databaseUrl?: string; redisUrl?: string; env?: Record<string, string> } = {}): Promise<TestCluster> {
  const database = options.databaseUrl === undefined ? await freshDatabase() : { url: options.databaseUrl, drop: () => Promise.resolve() };
  const nodes: NodeProcess[] = [];
  onCleanup(async () => {
    await Promise.all(nodes.map((node) => node.kill("SIGKILL")));
    await database.drop();
  });
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix();
  let started = 0;
  const add = async (): Promise<NodeProcess> => {
    const nodeId = `node-${++started}`;
    const node = await startNode({ databaseUrl: database.url, redisUrl, prefix, nodeId, ...(options.env === undefined ? {} : { env: options.env }) });
    nodes.push(node);
    return node;
  };
  // The first node migrates the new database; the others then start together.
  await add();
  await Promise.all(Array.from({ length: count - 1 }, () => add()));
  return { databaseUrl: database.url, redisUrl, prefix, nodes, add };
}
