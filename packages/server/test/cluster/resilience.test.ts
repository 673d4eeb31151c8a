/**
 * The cluster under races: the same batch sent to several nodes at once is stored
 * once with consistent answers; tokens, health and metrics per node. (Faults:
 * faults.test.ts.)
 */
import { formatPosition, type EventResult } from "@events/schema";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { events, PROJECT_A, PROJECT_B } from "../helpers/envelopes.js";
import { Producer, publishSpread, spread } from "./clients.js";
import { ADMIN, health, metric, storedCounts } from "./harness.js";
import { requireServices, testCluster } from "./setup.js";

describe("cluster dedup", () => {
  it("stores the same batch sent to three nodes at once once; one node answers accepted, the others duplicate with the same stream and seq", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const producers = cluster.nodes.map((node) => new Producer(node.wsUrl));
    await Promise.all(producers.map((producer) => producer.opened));
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const batch = spread(events(200), [PROJECT_A, PROJECT_B, null]);
      total += batch.length;
      const answers = await Promise.all(producers.map((producer) => producer.publish(batch)));
      for (let index = 0; index < batch.length; index++) {
        const results = answers.map((results) => results[index]!) as Extract<EventResult, { seq: number }>[];
        expect(results.filter((result) => result.status === "accepted")).toHaveLength(1);
        expect(results.filter((result) => result.status === "duplicate")).toHaveLength(2);
        expect(new Set(results.map((result) => `${result.stream}:${result.seq}`)).size).toBe(1);
      }
    }
    for (const producer of producers) producer.close();
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, streams: 3, holes: 0 });
  }, 60_000);
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
    await publishSpread(spread(events(10), [PROJECT_A, PROJECT_A, PROJECT_B, PROJECT_B, null]), [cluster.nodes[0]!.wsUrl], { frameSize: 10, inFlight: 1 });
    const position = formatPosition(new Map([[PROJECT_A, 4], [PROJECT_B, 4], ["-", 2]]));
    for (const node of cluster.nodes) {
      await vi.waitFor(async () => {
        const { status, body } = await health(node.url);
        expect(status).toBe(200);
        expect(body).toMatchObject({
          status: "ok",
          mode: "cluster",
          position,
          streams: 3,
          store: { kind: "postgres", ok: true, position },
          bus: { kind: "redis", connected: true, prefix: cluster.prefix, position, lag: 0, streams: 3 },
        });
      }, { timeout: 10_000, interval: 50 });
    }
    const text = await (await fetch(`${cluster.nodes[1]!.url}/metrics`)).text();
    expect(text).toMatch(/^events_bus_streams\{node_id="node-\d"\} 3$/m);
    expect(text).toMatch(/^events_bus_received_total\{node_id="node-\d"\} \d+$/m);
    expect(await metric(cluster.nodes[0]!.url, "events_bus_published_total")).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
