/**
 * What the cluster bench runs and reads: hub nodes as processes on a fresh database
 * and bus prefix of their own (the machine's PostgreSQL and Redis), subscribers that
 * count, and where the work went: CPU time per process group (from /proc), store
 * transactions and bus messages from the nodes' metrics, and how many of the nodes'
 * sessions wait for a lock (a stream's counter row), sampled from PostgreSQL.
 */
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import WebSocket from "ws";
import { ADMIN, freshDatabase, metric, REDIS_URL, startNode, uniquePrefix, type NodeProcess } from "../../test/cluster/harness.js";

export interface BenchCluster {
  readonly nodes: NodeProcess[];
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

export async function startCluster(count: number): Promise<BenchCluster> {
  const database = await freshDatabase();
  const prefix = uniquePrefix();
  const nodes: NodeProcess[] = [];
  const start = (index: number): Promise<NodeProcess> =>
    startNode({ databaseUrl: database.url, redisUrl: REDIS_URL, prefix, nodeId: `bench-${index}` }).then((node) => {
      nodes.push(node);
      return node;
    });
  // The first node migrates the new database; the others then start together.
  await start(1);
  await Promise.all(Array.from({ length: count - 1 }, (_, index) => start(index + 2)));
  return {
    nodes,
    databaseUrl: database.url,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.kill("SIGTERM")));
      await database.drop();
    },
  };
}

/** A subscriber to every stream that only counts `message` frames (the bench measures the hub, not JSON parsing). */
export async function counter(wsUrl: string): Promise<{ count: () => number; close: () => void }> {
  const ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (data: Buffer) => {
      const head = data.subarray(0, 20).toString();
      if (head.includes('"message"')) count++;
      else if (head.includes('"subscribed"')) resolve();
    });
    ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", sub: "b", channel: "events" })));
  });
  return { count: () => count, close: () => ws.close() };
}

/** CPU time (user + system) a process has used, in ms; 0 when it is gone. */
function processCpuMs(pid: number): number {
  try {
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15 (in 100 Hz ticks).
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Pids of the processes whose command name is `name` (PostgreSQL's backends are all `postgres`). */
function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "latin1").trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface Work {
  /** CPU ms of the hub nodes, of PostgreSQL (every backend: the bench's database is the busy one), of Redis, of this process (producers and subscribers). */
  readonly nodesCpuMs: number;
  readonly postgresCpuMs: number;
  readonly redisCpuMs: number;
  readonly clientCpuMs: number;
  /** Write transactions the nodes ran (committed or not), and the seconds they took, summed. */
  readonly commits: number;
  readonly storeSeconds: number;
  /** Commit messages the nodes published on the bus. */
  readonly busMessages: number;
}

/** The work counters now; subtract two readings (`spent`) for what a run cost. */
export async function readWork(cluster: BenchCluster): Promise<Work> {
  let commits = 0;
  let storeSeconds = 0;
  let busMessages = 0;
  for (const node of cluster.nodes) {
    commits += await metric(node.url, "events_store_write_seconds_count");
    storeSeconds += await metric(node.url, "events_store_write_seconds_sum");
    busMessages += await metric(node.url, "events_bus_published_total");
  }
  const usage = process.cpuUsage();
  return {
    nodesCpuMs: cluster.nodes.reduce((sum, node) => sum + processCpuMs(node.child.pid ?? 0), 0),
    postgresCpuMs: pidsNamed("postgres").reduce((sum, pid) => sum + processCpuMs(pid), 0),
    redisCpuMs: pidsNamed("redis-server").reduce((sum, pid) => sum + processCpuMs(pid), 0),
    clientCpuMs: (usage.user + usage.system) / 1000,
    commits,
    storeSeconds,
    busMessages,
  };
}

export function spent(before: Work, after: Work): Work {
  return {
    nodesCpuMs: after.nodesCpuMs - before.nodesCpuMs,
    postgresCpuMs: after.postgresCpuMs - before.postgresCpuMs,
    redisCpuMs: after.redisCpuMs - before.redisCpuMs,
    clientCpuMs: after.clientCpuMs - before.clientCpuMs,
    commits: after.commits - before.commits,
    storeSeconds: after.storeSeconds - before.storeSeconds,
    busMessages: after.busMessages - before.busMessages,
  };
}

/**
 * Samples, every 20 ms until `stop()`, how many sessions of the cluster's database
 * wait for a lock; `stop()` returns the mean (0: appends never waited for each other).
 */
export async function lockWaits(cluster: BenchCluster): Promise<{ stop: () => Promise<number> }> {
  const client = new pg.Client({ connectionString: cluster.databaseUrl });
  await client.connect();
  const samples: number[] = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      const result = await client.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
      samples.push(Number(result.rows[0]?.n ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      await client.end();
      return samples.length === 0 ? 0 : samples.reduce((sum, value) => sum + value, 0) / samples.length;
    },
  };
}
