/**
 * The cluster under races and failures: the same batch sent to several nodes at
 * once is stored once with consistent answers; a Redis restart mid-stream loses
 * nothing (gaps are filled from the store); tokens, health and metrics per node.
 */
import type { EventResult } from "@events/schema";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { events, PROJECT_A } from "../helpers/envelopes.js";
import { ADMIN, health, metric, privateRedis, Producer, publishSpread, ResumingSubscriber, storedCounts } from "./harness.js";
import { onCleanup, requireServices, testCluster } from "./setup.js";

describe("cluster dedup", () => {
  it("stores the same batch sent to three nodes at once once; one node answers accepted, the others duplicate with the same seq", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const producers = cluster.nodes.map((node) => new Producer(node.wsUrl));
    await Promise.all(producers.map((producer) => producer.opened));
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const batch = events(200);
      total += batch.length;
      const answers = await Promise.all(producers.map((producer) => producer.publish(batch)));
      for (let index = 0; index < batch.length; index++) {
        const results = answers.map((results) => results[index]!) as Extract<EventResult, { seq: number }>[];
        expect(results.filter((result) => result.status === "accepted")).toHaveLength(1);
        expect(results.filter((result) => result.status === "duplicate")).toHaveLength(2);
        expect(new Set(results.map((result) => result.seq)).size).toBe(1);
      }
    }
    for (const producer of producers) producer.close();
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, maxSeq: total });
  }, 60_000);
});

describe("cluster bus failures", () => {
  it("misses nothing when Redis is restarted mid-stream: subscribers on every node get every event once, gaps filled from the store", async (context) => {
    requireServices(context);
    const redis = await privateRedis();
    onCleanup(() => redis.stop());
    const cluster = await testCluster(3, { redisUrl: redis.url });
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const subscribers = urls.map((_, index) => new ResumingSubscriber(urls, index));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 9_000;
    let restarted: Promise<void> | undefined;
    const publishing = publishSpread(events(total), urls, {
      frameSize: 25,
      inFlight: 2,
      onProgress: (acked) => {
        if (restarted === undefined && acked >= total / 3) {
          restarted = (async () => {
            await redis.stop();
            // While Redis is down the nodes still serve, from the store: degraded, not down.
            await vi.waitFor(async () => expect((await health(cluster.nodes[0]!.url)).body).toMatchObject({ status: "degraded", bus: { connected: false } }), {
              timeout: 10_000,
              interval: 50,
            });
            await new Promise((resolve) => setTimeout(resolve, 500));
            await redis.start();
          })();
        }
      },
    });
    const result = await publishing;
    await restarted;
    expect(result.accepted).toBe(total);
    await vi.waitFor(() => expect(subscribers.every((subscriber) => subscriber.seqs.length >= total)).toBe(true), { timeout: 30_000, interval: 50 });
    for (const subscriber of subscribers) subscriber.stop();
    const expected = Array.from({ length: total }, (_, index) => index + 1);
    for (const subscriber of subscribers) {
      expect(subscriber.seqs).toEqual(expected);
      expect(subscriber.ids).toEqual(subscribers[0]!.ids);
      expect(subscriber.reconnects).toBe(0);
    }
    // Every node lost its bus and came back; what Redis dropped was read from the store.
    await vi.waitFor(async () => {
      for (const node of cluster.nodes) {
        expect((await health(node.url)).body).toMatchObject({ status: "ok", bus: { connected: true } });
        expect(await metric(node.url, "events_bus_reconnects_total")).toBeGreaterThanOrEqual(1);
      }
    }, { timeout: 15_000, interval: 100 });
    let filled = 0;
    for (const node of cluster.nodes) filled += await metric(node.url, "events_bus_filled_events_total");
    expect(filled).toBeGreaterThan(0);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, maxSeq: total });
  }, 90_000);
});

describe("cluster auth and health", () => {
  it("a token made on one node works on another at once; revoking it on one node closes its WebSockets on every node", async (context) => {
    requireServices(context);
    const cluster = await testCluster(2);
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const created = await fetch(`${a.url}/api/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ project: PROJECT_A, scopes: ["read", "write"] }),
    });
    const { id, token } = (await created.json()) as { id: string; token: string };
    // At once on B: over HTTP, and over a WebSocket that B answers with welcome.
    const batch = await fetch(`${b.url}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: events(1, { project_uuid: PROJECT_A }) }),
    });
    expect(batch.status).toBe(200);
    const socket = new WebSocket(`${b.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    socket.send(JSON.stringify({ type: "hello", protocol: 1 }));
    await new Promise((resolve) => socket.once("message", resolve));
    expect((await fetch(`${a.url}/api/v1/tokens/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(204);
    expect(await closed).toBe(4401);
    const refused = await fetch(`${b.url}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events: events(1, { project_uuid: PROJECT_A }) }),
    });
    expect(refused.status).toBe(401);
  }, 60_000);

  it("health shows each node's view of the store and the bus; metrics are per node", async (context) => {
    requireServices(context);
    const cluster = await testCluster(2);
    await publishSpread(events(10), [cluster.nodes[0]!.wsUrl], { frameSize: 10, inFlight: 1 });
    for (const node of cluster.nodes) {
      await vi.waitFor(async () => {
        const { status, body } = await health(node.url);
        expect(status).toBe(200);
        expect(body).toMatchObject({
          status: "ok",
          mode: "cluster",
          head_seq: 10,
          store: { kind: "postgres", ok: true, head_seq: 10 },
          bus: { kind: "redis", connected: true, prefix: cluster.prefix, delivered_seq: 10, lag: 0 },
        });
      }, { timeout: 10_000, interval: 50 });
    }
    const text = await (await fetch(`${cluster.nodes[1]!.url}/metrics`)).text();
    expect(text).toMatch(/^events_head_seq\{node_id="node-\d"\} 10$/m);
    expect(text).toMatch(/^events_bus_received_total\{node_id="node-\d"\} \d+$/m);
    expect(await metric(cluster.nodes[0]!.url, "events_bus_published_total")).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
