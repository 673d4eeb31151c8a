/**
 * The hub end to end on each store: the same suite against SQLite and against the
 * real PostgreSQL (a fresh schema per hub). PostgreSQL commits with real I/O in
 * between, so its resume runs exercise the overlap of replayed and live frames.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { Envelope } from "@events/schema";
import { event, events, PROJECT_A, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { projectToken, restartOf, testHub, type Backend } from "./helpers/hub.js";
import { requirePostgres } from "./helpers/postgres.js";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { join } from "node:path";
import { RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

describe.each(["sqlite", "postgres"] as const)("the hub on %s", (backend: Backend) => {
  const hubOn = async (context: { skip: (note?: string) => void }, options: Parameters<typeof testHub>[0] = {}) => {
    if (backend === "postgres") requirePostgres(context);
    return testHub({ ...options, backend });
  };

  it("stores once and answers accepted, duplicate, rejected over WebSocket and HTTP", async (context) => {
    const hub = await hubOn(context);
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const [a, b] = events(2);
    const ack = await socket.publish([a, b, a, { ...event(), node_id: "" }]);
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "accepted", "duplicate", "rejected"]);
    const response = await fetch(`${hub.url}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [b, event()] }),
    });
    const body = (await response.json()) as { results: { status: string }[] };
    expect(body.results.map((result) => result.status)).toEqual(["duplicate", "accepted"]);
    expect(((await (await fetch(`${hub.url}/healthz`)).json()) as { store: string }).store).toBe(backend);
  });

  it("never acks when the store fails: unavailable over WebSocket, 503 over HTTP", async (context) => {
    const hub = await hubOn(context);
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    expect((await socket.publish([event()])).results[0]?.status).toBe("accepted");
    await breakStore(hub);
    socket.send({ type: "publish", ref: "doomed", events: [event()] });
    const error = await socket.next("error", (frame) => frame.ref === "doomed");
    expect(error.code).toBe("unavailable");
    expect(socket.of("ack").map((ack) => ack.ref)).not.toContain("doomed");
    const response = await fetch(`${hub.url}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [event()] }),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unavailable");
  });

  it("keeps tokens, sessions and problem snapshots across a restart", async (context) => {
    const hub = await hubOn(context, { adminToken: "admin-1" });
    const token = await projectToken(hub, PROJECT_A);
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
    await writer.publish([
      sessionEvent("s-r", { kind: "phase", phase: "p", at: "2026-11-20T10:00:00Z" }, PROJECT_A),
      problemsSnapshot([{ rule: "r", offending_path: "/x" }], PROJECT_A),
    ]);
    writer.close();
    await hub.stop();
    const again = await restartOf(hub, { adminToken: "admin-1" });
    const session = await TestSocket.open(`${again.wsUrl}/api/v1/sessions/s-r/events`, { token });
    const problems = await TestSocket.open(`${again.wsUrl}/api/v1/problems/events`, { token });
    await vi.waitFor(() => expect(session.raw.length + problems.raw.length).toBe(2), { timeout: 10_000 });
    expect(JSON.parse(session.raw[0]!)).toMatchObject({ kind: "phase", phase: "p" });
    expect(JSON.parse(problems.raw[0]!)).toMatchObject({ kind: "snapshot", findings: [{ rule: "r", offending_path: "/x" }] });
  });

  it("resumes over WebSocket without gap or duplicate while events flow (property)", async (context) => {
    const hub = await hubOn(context);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 299 }), { minLength: 1, maxLength: 5 }), async (cutAt) => {
        cutAt.sort((x, y) => x - y);
        const batch = events(300);
        const ids = new Set(batch.map((item) => item.event_id));
        const publisher = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
        const received: { stream: string; seq: number; id: string }[] = [];
        // Live only: `subscribed` says where the log is now, before this batch.
        const probe = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
        probe.send({ type: "subscribe", sub: "probe" });
        let since = (await probe.next("subscribed")).position;
        probe.close();
        const publishing = (async () => {
          for (let start = 0; start < batch.length; start += 5) await publisher.publish(batch.slice(start, start + 5));
        })();
        let cut = 0;
        while (received.length < batch.length) {
          const stopAt = cutAt[cut++] ?? batch.length;
          const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
          await new Promise<void>((resolve) => {
            socket.ws.on("message", (data: Buffer) => {
              if (received.length >= stopAt) return;
              const frame = JSON.parse(data.toString()) as { type: string; stream: string; seq: number; event: Envelope };
              if (frame.type !== "message" || !ids.has(frame.event.event_id)) return;
              received.push({ stream: frame.stream, seq: frame.seq, id: frame.event.event_id });
              if (received.length >= stopAt) {
                socket.ws.terminate();
                resolve();
              }
            });
            socket.send({ type: "subscribe", sub: "r", since });
          });
          // One stream (no project): the position is that stream's last seq.
          since = `${received.at(-1)!.stream}:${received.at(-1)!.seq}`;
        }
        await publishing;
        publisher.close();
        expect(received.map((item) => item.id)).toEqual(batch.map((item) => item.event_id));
        for (let index = 1; index < received.length; index++) expect(received[index]!.seq).toBe(received[index - 1]!.seq + 1);
      }),
      { numRuns: 5, seed: 11 },
    );
  });

  it("resumes over SSE from Last-Event-ID", async (context) => {
    const hub = await hubOn(context);
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const ack = await writer.publish(events(20));
    const positions = ack.results.map((result) => {
      const { stream, seq } = result as { stream: string; seq: number };
      return `${stream}:${seq}`;
    });
    const sse = await RawSse.open(`${hub.url}/api/events`, { authorization: `Bearer ${hub.admin}`, "last-event-id": positions[9]! });
    await sse.waitFor(() => sse.named("WPAssigned").length === 10);
    expect(sse.named("WPAssigned").map((item) => item.id)).toEqual(positions.slice(10));
    sse.close();
  });
});


/** Takes the events table away under the running hub, from a second connection. */
async function breakStore(hub: { dir: string; databaseUrl: string | undefined }): Promise<void> {
  if (hub.databaseUrl === undefined) {
    const database = new BetterSqlite3(join(hub.dir, "data", "hub.db"));
    database.exec("drop table events");
    database.close();
    return;
  }
  const client = new pg.Client({ connectionString: hub.databaseUrl });
  await client.connect();
  await client.query("drop table events cascade");
  await client.end();
}
