/**
 * Cluster edges: a node hung inside a transaction holding a stream's counter row
 * (writers of that stream elsewhere are answered `unavailable` until PostgreSQL ends
 * its session; writers of other streams never wait); a token made on one node used
 * at once, pipelined, on another; retention run by one node and answered with
 * `reset` by every node. Nodes in this process where the test needs no process of
 * its own (faster), as processes where one must hang.
 */
import type { Socket } from "node:net";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { formatPosition, PROTOCOL_VERSION, type EventResult, type HubFrame } from "@events/schema";
import { MAX_FRAMES_BEFORE_WELCOME } from "../../src/transport/ws.js";
import { events, PROJECT_A, PROJECT_B } from "../helpers/envelopes.js";
import { testHub, type TestHub } from "../helpers/hub.js";
import { TestSocket } from "../helpers/ws-client.js";
import { Producer } from "./clients.js";
import { ADMIN, freshDatabase, REDIS_URL, startNode, storedCounts, uniquePrefix } from "./harness.js";
import { onCleanup, requireServices, testCluster } from "./setup.js";

/** A node in this process on `databaseUrl`, on the bus `prefix`. */
function inProcessNode(databaseUrl: string, prefix: string, options: Parameters<typeof testHub>[0] = {}): Promise<TestHub> {
  return testHub({ backend: "postgres", databaseUrl, redisUrl: REDIS_URL, busPrefix: prefix, adminToken: ADMIN, ...options });
}

async function database(): Promise<string> {
  const created = await freshDatabase();
  onCleanup(created.drop);
  return created.url;
}

async function createToken(node: TestHub): Promise<string> {
  const response = await fetch(`${node.url}/api/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ project: PROJECT_A, scopes: ["read", "write"] }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

describe("cluster: a node stuck holding a stream's counter row", () => {
  it("answers writes to that stream on other nodes unavailable while a hung node holds its row, until PostgreSQL ends the hung session; other streams are written at once; nothing acked is lost", async (context) => {
    requireServices(context);
    // Node A waits long for the row (so it can be stopped while it waits); B gives up fast.
    const cluster = await testCluster(1, { env: { EVENTS_PG_LOCK_TIMEOUT_MS: "20000", EVENTS_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: "3000" } });
    const a = cluster.nodes[0]!;
    const b = await startNode({
      databaseUrl: cluster.databaseUrl,
      redisUrl: cluster.redisUrl,
      prefix: cluster.prefix,
      nodeId: "node-b",
      env: { EVENTS_PG_LOCK_TIMEOUT_MS: "300" },
    });
    onCleanup(() => b.kill("SIGKILL"));
    onCleanup(() => Promise.resolve(void a.child.kill("SIGCONT")));
    const admin = new pg.Client({ connectionString: cluster.databaseUrl });
    await admin.connect();
    onCleanup(() => admin.end());
    const locker = new pg.Client({ connectionString: cluster.databaseUrl });
    await locker.connect();
    onCleanup(() => locker.end());
    const producerA = new Producer(a.wsUrl);
    const producerB = new Producer(b.wsUrl);
    await Promise.all([producerA.opened, producerB.opened]);
    // The stream's counter row exists once the stream has an event.
    expect((await producerA.publish(events(1, { project_uuid: PROJECT_A }))).map((result) => result.status)).toEqual(["accepted"]);

    // A starts a write that waits for the row; stopped there, A's session then holds
    // the row inside its transaction, idle, with its connection open: a hung node.
    await locker.query("begin");
    await locker.query("select head from streams where stream = $1 for update", [PROJECT_A]);
    const fromA = events(2, { project_uuid: PROJECT_A });
    const writeA = producerA.publish(fromA).then(
      (results) => ({ results }),
      (error: unknown) => ({ error: String(error) }),
    );
    const waiting = await vi.waitFor(
      async () => {
        const rows = await admin.query<{ pid: number }>(
          "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        );
        expect(rows.rows).toHaveLength(1);
        return rows.rows[0]!.pid;
      },
      { timeout: 10_000, interval: 20 },
    );
    a.child.kill("SIGSTOP");
    await locker.query("rollback");
    await vi.waitFor(
      async () => {
        const rows = await admin.query<{ state: string }>("select state from pg_stat_activity where pid = $1", [waiting]);
        expect(rows.rows[0]?.state).toBe("idle in transaction");
      },
      { timeout: 5_000, interval: 20 },
    );

    // B cannot get the row: a clear, retryable answer within its lock timeout, no ack.
    const fromB = events(2, { project_uuid: PROJECT_A });
    const started = Date.now();
    await expect(producerB.publish(fromB)).rejects.toThrow(/error unavailable: .*retry/);
    expect(Date.now() - started).toBeLessThan(2_500);
    // Another stream has a row of its own: written at once, hung node or not.
    const otherStream = await producerB.publish(events(2, { project_uuid: PROJECT_B }));
    expect(otherStream.map((result) => result.status)).toEqual(["accepted", "accepted"]);
    expect(Date.now() - started).toBeLessThan(2_500);
    // Retried as the SDK would, it is stored once PostgreSQL has ended A's session.
    const resultsB = await vi.waitFor(() => producerB.publish(fromB), { timeout: 15_000, interval: 100 });
    expect(resultsB.map((result) => result.status)).toEqual(["accepted", "accepted"]);

    // A wakes up to a session that is gone: its write was never committed and is
    // answered unavailable, and A stores it when the producer sends it again.
    a.child.kill("SIGCONT");
    const answerA = await writeA;
    expect(answerA).toEqual({ error: expect.stringMatching(/error unavailable/) as unknown });
    const resultsA: EventResult[] = await vi.waitFor(() => producerA.publish(fromA), { timeout: 10_000, interval: 100 });
    expect(resultsA.map((result) => result.status)).toEqual(["accepted", "accepted"]);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: 7, distinct: 7, streams: 2, holes: 0 });
    producerA.close();
    producerB.close();
  }, 60_000);
});

describe("cluster: hello with a token another node made moments earlier", () => {
  it("holds frames pipelined after hello until welcome, then handles them in order", async (context) => {
    requireServices(context);
    const databaseUrl = await database();
    const a = await inProcessNode(databaseUrl, uniquePrefix());
    // B is on another bus prefix: it never hears of A's token and must look it up in the store.
    const b = await inProcessNode(databaseUrl, uniquePrefix());
    const token = await createToken(a);
    const socket = new TestSocket(`${b.wsUrl}/api/v1/ws`);
    await socket.opened;
    socket.send({ type: "hello", protocol: PROTOCOL_VERSION, token });
    socket.send({ type: "publish", ref: "p1", events: events(3, { project_uuid: PROJECT_A }) });
    socket.send({ type: "subscribe", sub: "s", channel: "events", since: "" });
    socket.send({ type: "ping", ts: 7 });
    await socket.next("pong");
    await socket.next("ack");
    await vi.waitFor(() => expect(socket.of("message")).toHaveLength(3), { timeout: 10_000, interval: 10 });
    expect(socket.closeInfo).toBeUndefined();
    // Nothing was answered before welcome; then each held frame was handled.
    expect(socket.frames[0]?.type).toBe("welcome");
    expect(socket.of("subscribed")).toHaveLength(1);
    const ack = socket.of("ack")[0]!;
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "accepted", "accepted"]);
    socket.close();
  });

  it(`holds at most ${MAX_FRAMES_BEFORE_WELCOME} frames before welcome; one more closes the connection with 1002`, async (context) => {
    requireServices(context);
    const databaseUrl = await database();
    const a = await inProcessNode(databaseUrl, uniquePrefix());
    const b = await inProcessNode(databaseUrl, uniquePrefix());
    const pipelined = async (pings: number): Promise<{ pongs: number; closed: number | undefined }> => {
      const token = await createToken(a);
      const ws = new WebSocket(`${b.wsUrl}/api/v1/ws`, { perMessageDeflate: false });
      const frames: HubFrame[] = [];
      ws.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString()) as HubFrame));
      const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
      await new Promise((resolve) => ws.once("open", resolve));
      // One write, so every frame reaches the hub in one read: the hub pauses the socket
      // while it checks the token, so only frames already read can pile up.
      const socket = (ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token }));
      for (let ts = 0; ts < pings; ts++) ws.send(JSON.stringify({ type: "ping", ts }));
      socket.uncork();
      const outcome = await Promise.race([
        closed.then((code) => ({ pongs: frames.filter((frame) => frame.type === "pong").length, closed: code })),
        vi
          .waitFor(() => expect(frames.filter((frame) => frame.type === "pong")).toHaveLength(pings), { timeout: 10_000, interval: 10 })
          .then(() => ({ pongs: pings, closed: undefined })),
      ]);
      ws.close();
      return outcome;
    };
    expect(await pipelined(MAX_FRAMES_BEFORE_WELCOME)).toEqual({ pongs: MAX_FRAMES_BEFORE_WELCOME, closed: undefined });
    expect(await pipelined(MAX_FRAMES_BEFORE_WELCOME + 1)).toEqual({ pongs: 0, closed: 1002 });
  });
});

describe("cluster: retention", () => {
  it("answers reset on a node that did not run the prune, for the pruned stream alone: its watermark comes from the store", async (context) => {
    requireServices(context);
    const databaseUrl = await database();
    const prefix = uniquePrefix();
    const retention = { retainEvents: 15, retentionIntervalMs: 3_600_000 };
    const a = await inProcessNode(databaseUrl, prefix, retention);
    const b = await inProcessNode(databaseUrl, prefix, retention);
    const producer = await TestSocket.open(`${a.wsUrl}/api/v1/ws`, { token: ADMIN });
    await producer.publish(events(30, { project_uuid: PROJECT_A }));
    await producer.publish(events(5, { project_uuid: PROJECT_B }));
    await vi.waitFor(() => expect([b.hub.stats().heads.get(PROJECT_A), b.hub.stats().heads.get(PROJECT_B)]).toEqual([30, 5]), { timeout: 10_000, interval: 10 });
    // The newest 15 stay: A's 21..30 and all of B.
    expect(await a.hub.prune()).toBe(20);

    const late = await TestSocket.open(`${b.wsUrl}/api/v1/ws`, { token: ADMIN });
    const since = new Map([[PROJECT_A, 5], [PROJECT_B, 2]]);
    late.send({ type: "subscribe", sub: "s", channel: "events", since: formatPosition(since) });
    const reset = await late.next("reset");
    expect(reset).toMatchObject({ sub: "s", reason: "position_unavailable", streams: [PROJECT_A], position: formatPosition(new Map([[PROJECT_A, 20], [PROJECT_B, 2]])) });
    await vi.waitFor(() => expect(late.of("message")).toHaveLength(13), { timeout: 10_000, interval: 10 });
    const seqsOf = (socket: TestSocket, stream: string): number[] => socket.of("message").filter((frame) => frame.stream === stream).map((frame) => frame.seq);
    expect(seqsOf(late, PROJECT_A)).toEqual(Array.from({ length: 10 }, (_, index) => 21 + index));
    expect(seqsOf(late, PROJECT_B)).toEqual([3, 4, 5]);
    // A position inside what is kept replays without a reset, on either node.
    const kept = await TestSocket.open(`${b.wsUrl}/api/v1/ws`, { token: ADMIN });
    kept.send({ type: "subscribe", sub: "k", channel: "events", since: formatPosition(new Map([[PROJECT_A, 25], [PROJECT_B, 4]])) });
    await vi.waitFor(() => expect(kept.of("message")).toHaveLength(6), { timeout: 10_000, interval: 10 });
    expect(seqsOf(kept, PROJECT_A)).toEqual([26, 27, 28, 29, 30]);
    expect(seqsOf(kept, PROJECT_B)).toEqual([5]);
    expect(kept.of("reset")).toHaveLength(0);
    for (const socket of [producer, late, kept]) socket.close();
  });
});
