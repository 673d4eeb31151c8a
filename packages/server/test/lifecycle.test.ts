import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES } from "@events/schema";
import { connect } from "../src/store/connect.js";
import { KyselyStore } from "../src/store/kysely-store.js";
import { events } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

describe("liveness", () => {
  it("closes a peer that answers no ping with 4408, and keeps one that does", async () => {
    const hub = await testHub({ heartbeatMs: 40, pingTimeoutMs: 200 });
    const healthy = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const dead = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin, autoPong: false });
    expect((await dead.closed).code).toBe(CLOSE_CODES.pingTimeout);
    expect(healthy.closeInfo).toBeUndefined();
    healthy.send({ type: "ping" });
    await healthy.next("pong");
  });

  it("closes with 4401 a connection that never says hello", async () => {
    const hub = await testHub({ helloTimeoutMs: 100 });
    const silent = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    expect((await silent.closed).code).toBe(CLOSE_CODES.unauthenticated);
  });

  it("refuses upgrades on unknown paths", async () => {
    const hub = await testHub();
    await expect(TestSocket.open(`${hub.wsUrl}/api/v1/nope`, { token: hub.admin })).rejects.toThrow(/404/);
  });
});

describe("graceful shutdown", () => {
  it("answers every publish it received, stores what it acked, then closes subscribers with 1001 and SSE with end", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "s" });
    await reader.next("subscribed");
    const sse = await RawSse.open(`${hub.url}/api/events`, { authorization: `Bearer ${hub.admin}` });
    await sse.waitFor(() => sse.named("ready")[0]);
    const refs = Array.from({ length: 20 }, (_, index) => `p${index}`);
    for (const ref of refs) writer.send({ type: "publish", ref, events: events(50) });
    await writer.next("ack", (ack) => ack.ref === "p0");
    await hub.stop();
    expect((await writer.closed).code).toBe(CLOSE_CODES.goingAway);
    expect((await reader.closed).code).toBe(CLOSE_CODES.goingAway);
    await sse.waitFor(() => sse.ended);
    expect(JSON.parse(sse.named("end")[0]!.data)).toMatchObject({ reason: "shutdown" });
    // Every frame that reached the hub got an answer before the close; none twice.
    const answered = [...writer.of("ack").map((ack) => ack.ref), ...writer.of("error").map((error) => error.ref)];
    expect(new Set(answered).size).toBe(answered.length);
    const acked = writer.of("ack").flatMap((ack) => ack.results.map((result) => (result.status === "accepted" ? result.event_id : "")));
    const connection = await connect({ kind: "sqlite", file: join(hub.dir, "data", "hub.db"), synchronous: "normal" });
    const store = new KyselyStore(connection);
    try {
      const stored = new Set((await store.readAfter({ after: new Map(), limit: 10_000 })).map((row) => row.eventId));
      expect(acked.length).toBeGreaterThanOrEqual(50);
      for (const id of acked) expect(stored.has(id)).toBe(true);
    } finally {
      await store.close();
    }
    await expect(fetch(`${hub.url}/healthz`)).rejects.toThrow();
  });

  it("can be closed twice", async () => {
    const hub = await testHub();
    await Promise.all([hub.stop(), hub.stop()]);
    await vi.waitFor(() => expect(hub.hub.stats().connections).toEqual({ ws: 0, sse: 0 }), { timeout: 10_000 });
  });
});

describe("operations endpoints", () => {
  it("serves /healthz, Prometheus /metrics and ErrorResponse 404s", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const batch = events(2);
    await writer.publish([...batch, batch[0], { bad: true }]);
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "ok", store: "sqlite", position: "-:2", streams: 1 });
    const response = await fetch(`${hub.url}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const metrics = await response.text();
    for (const line of [
      'events_connections{transport="ws"} 1',
      'events_ingested_total{transport="ws"} 2',
      'events_duplicates_total{transport="ws"} 1',
      'events_rejected_total{transport="ws"} 1',
      "events_deliveries_total 0",
      "events_dropped_total 0",
      "events_subscriber_queue_bytes 0",
      "events_store_write_seconds_count",
      "events_streams 1",
    ]) {
      expect(metrics).toContain(line);
    }
    const missing = await fetch(`${hub.url}/api/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
