/**
 * A cluster for tests and the bench: hub nodes as separate processes (from the build
 * when it is fresh, else from source; `--port 0`, the URL read from their output) on a fresh PostgreSQL database and a
 * Redis channel prefix of their own, plus a private `redis-server` for tests that
 * restart Redis (the machine's shared one is never touched). No vitest imports, so
 * the bench uses it too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import WebSocket from "ws";
import type { Envelope, EventResult } from "@events/schema";
import { defaultEntry, freePort, spawnHub, type HubProcess } from "../../src/testing.js";
import { POSTGRES_BASE, postgresMissing as postgresProbe } from "../helpers/postgres.js";

export { freePort, POSTGRES_BASE };

export const REDIS_URL = process.env["EVENTS_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
export const ADMIN = "cluster-test-admin-token-0123456789";
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

/** Rows and distinct event ids stored. */
export async function storedCounts(databaseUrl: string): Promise<{ rows: number; distinct: number; maxSeq: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ rows: string; uniq: string; max: string | null }>(
      "select count(*) as rows, count(distinct event_id) as uniq, max(seq) as max from events",
    );
    const row = result.rows[0]!;
    return { rows: Number(row.rows), distinct: Number(row.uniq), maxSeq: Number(row.max ?? 0) };
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

/** A private redis-server (no persistence) that a test may stop and start again on the same port. */
export async function privateRedis(): Promise<{ url: string; start: () => Promise<void>; stop: () => Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      started.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

/** A WebSocket producer on one node: publish frames, each answered by its ack (or a rejection when the connection drops). */
export class Producer {
  readonly #ws: WebSocket;
  readonly #waiting = new Map<string, { resolve: (results: EventResult[]) => void; reject: (error: Error) => void }>();
  #refs = 0;
  readonly opened: Promise<void>;

  constructor(wsUrl: string, token = ADMIN) {
    this.#ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.#ws.once("open", () => resolve());
      this.#ws.once("error", reject);
    });
    this.#ws.on("error", () => undefined);
    this.#ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; ref?: string; results?: EventResult[]; code?: string; message?: string };
      if (frame.ref === undefined) return;
      const waiter = this.#waiting.get(frame.ref);
      if (waiter === undefined) return;
      this.#waiting.delete(frame.ref);
      if (frame.type === "ack") waiter.resolve(frame.results ?? []);
      else waiter.reject(new Error(`${frame.type} ${frame.code ?? ""}: ${frame.message ?? ""}`));
    });
    this.#ws.on("close", () => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error("connection closed before the ack"));
      this.#waiting.clear();
    });
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  publish(events: readonly Envelope[]): Promise<EventResult[]> {
    if (!this.open) return Promise.reject(new Error("not connected"));
    const ref = `p${++this.#refs}`;
    return new Promise((resolve, reject) => {
      this.#waiting.set(ref, { resolve, reject });
      this.#ws.send(JSON.stringify({ type: "publish", ref, events }));
    });
  }

  close(): void {
    this.#ws.close();
  }
}

/**
 * A subscriber to the `events` stream that, when its connection drops, resumes on
 * the next node of `wsUrls` from the last seq it saw. Records every seq and event id
 * in arrival order.
 */
export class ResumingSubscriber {
  readonly seqs: number[] = [];
  readonly ids: string[] = [];
  readonly gaps: unknown[] = [];
  readonly resets: unknown[] = [];
  reconnects = 0;
  #urls: string[];
  #index: number;
  #ws: WebSocket | undefined;
  #stopped = false;
  readonly subscribed: Promise<void>;
  #onSubscribed: () => void = () => undefined;

  constructor(wsUrls: readonly string[], first: number) {
    this.#urls = [...wsUrls];
    this.#index = first;
    this.subscribed = new Promise((resolve) => (this.#onSubscribed = resolve));
    this.#connect();
  }

  get last(): number {
    return this.seqs.at(-1) ?? 0;
  }

  /** Nodes known dead are skipped on reconnect. */
  forget(wsUrl: string): void {
    this.#urls = this.#urls.filter((url) => url !== wsUrl);
  }

  stop(): void {
    this.#stopped = true;
    this.#ws?.close();
  }

  #connect(): void {
    const url = this.#urls[this.#index % this.#urls.length]!;
    const ws = new WebSocket(`${url}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
    this.#ws = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", sub: "s", channel: "events", since: this.last })));
    ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; seq?: number; event?: { event_id: string } };
      if (frame.type === "message") {
        this.seqs.push(frame.seq!);
        this.ids.push(frame.event!.event_id);
      } else if (frame.type === "subscribed") {
        this.#onSubscribed();
      } else if (frame.type === "gap") {
        this.gaps.push(frame);
      } else if (frame.type === "reset") {
        this.resets.push(frame);
      }
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      if (this.#stopped) return;
      this.reconnects++;
      this.#index++;
      setTimeout(() => this.#connect(), 50);
    });
  }
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

export interface SpreadResult {
  /** The seq each event id was stored under, as acked. */
  readonly seqOf: Map<string, number>;
  readonly accepted: number;
  readonly duplicate: number;
  /** Frames sent again to another node after their node failed. */
  readonly retried: number;
}

/**
 * Publishes `events` in frames of `frameSize` spread over the nodes, `inFlight`
 * frames at a time per node. A frame whose node fails before acking is sent again
 * to another node (so some come back `duplicate`: stored before the node died).
 */
export async function publishSpread(
  events: readonly Envelope[],
  wsUrls: readonly string[],
  options: { frameSize: number; inFlight: number; onProgress?: (acked: number) => void },
): Promise<SpreadResult> {
  const queue: Envelope[][] = [];
  for (let start = 0; start < events.length; start += options.frameSize) queue.push(events.slice(start, start + options.frameSize));
  const producers = wsUrls.map((url) => new Producer(url));
  await Promise.all(producers.map((producer) => producer.opened));
  const seqOf = new Map<string, number>();
  let accepted = 0;
  let duplicate = 0;
  let retried = 0;
  let acked = 0;
  let inFlight = 0;
  const worker = async (producer: Producer): Promise<void> => {
    for (;;) {
      const frame = queue.shift();
      if (frame === undefined) {
        if (inFlight === 0 || !producer.open) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      inFlight++;
      try {
        const results = await producer.publish(frame);
        for (const result of results) {
          if (result.status === "rejected") throw new Error(`rejected: ${JSON.stringify(result.issues)}`);
          seqOf.set(result.event_id, result.seq);
          if (result.status === "accepted") accepted++;
          else duplicate++;
        }
        acked += frame.length;
        options.onProgress?.(acked);
      } catch (error) {
        if (producer.open) throw error;
        queue.unshift(frame);
        retried++;
        return;
      } finally {
        inFlight--;
      }
    }
  };
  const workers = producers.flatMap((producer) => Array.from({ length: options.inFlight }, () => worker(producer)));
  await Promise.all(workers);
  for (const producer of producers) producer.close();
  if (queue.length > 0) throw new Error(`${queue.length} frames left unsent: every node failed`);
  return { seqOf, accepted, duplicate, retried };
}
