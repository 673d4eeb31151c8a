/**
 * deploy/nginx/events-hub.conf proved: Debian's nginx runs the shipped file (only the
 * hub's address, the listen port and the log directory swapped) in front of a real
 * hub, whose heartbeat is 500 ms so the test is quick. Through it: WebSocket and SSE
 * subscribers get live events; heartbeats arrive as the hub sends them (nginx is not
 * buffering); resume gives exactly the missed events, once; the hub's SSE lifetime
 * cap ends the stream at the client too; gzip batches are accepted; the session and
 * problems endpoints upgrade; and tickets stay out of the logs. What nginx sends
 * upstream and its answers without a hub are in nginx-upstream.test.ts. Skipped
 * without nginx, with a message naming it; fails on CI.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NO_PROJECT_STREAM, PROTOCOL_VERSION, batchResponseCodec, formatPosition, parsePosition, positionOf, problemsFrameCodec, sessionFrameCodec } from "@events/schema";
import { startHub, type Hub, type HubOptions } from "@events/server";
import { SseClient, until, WsClient, type SseEvent } from "./nginx/clients.js";
import { errorResponse, postBatch, problemsSnapshot, publish, sessionEvent, wpEvents } from "./nginx/events.js";
import { nginxMissing, requireNginx, startProxy, type Proxy } from "./nginx/proxy.js";

const ADMIN = "nginx-test-admin-token-0123456789";
const HEARTBEAT_MS = 500;
const AUTH = { authorization: `Bearer ${ADMIN}` };

interface Stack {
  readonly hub: Hub;
  readonly proxy: Proxy;
  stop(): Promise<void>;
}

/** A hub on a free port with nginx in front of it. */
async function proxiedHub(options: HubOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "events-nginx-hub-"));
  const hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: dir, socketPath: false, logger: "silent", adminToken: ADMIN, heartbeatMs: HEARTBEAT_MS, ...options });
  const stopHub = async (): Promise<void> => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const proxy = await startProxy(new URL(hub.url).host).catch(async (error: unknown) => {
    await stopHub();
    throw error;
  });
  const stop = async (): Promise<void> => {
    await proxy.stop();
    await stopHub();
  };
  return { hub, proxy, stop };
}

let shared: Stack | undefined;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  if (nginxMissing === undefined) shared = await proxiedHub();
});
afterAll(async () => {
  await shared?.stop();
});
beforeEach((context) => requireNginx(context));
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function stack(): Stack {
  if (shared === undefined) throw new Error("no hub behind nginx");
  return shared;
}

/** Registers a client (anything with close()) to be closed after the test. */
function track<T extends { close(): void }>(client: T): T {
  cleanups.push(() => client.close());
  return client;
}

async function sse(proxy: Proxy, path: string, headers: Record<string, string> = AUTH): Promise<SseClient> {
  const client = track(await SseClient.open(`${proxy.url}${path}`, headers));
  expect(client.status).toBe(200);
  await until(() => client.events.some((event) => event.event === "ready"));
  return client;
}

/** A WebSocket client that said hello with the admin token and subscribed `sub` to `events`. */
async function subscriber(proxy: Proxy, subscribe: { sub: string; since?: string }): Promise<WsClient> {
  const ws = track(await WsClient.open(`${proxy.wsUrl}/api/v1/ws`));
  ws.send({ type: "hello", protocol: PROTOCOL_VERSION, token: ADMIN });
  await ws.next("welcome");
  ws.send({ type: "subscribe", channel: "events", ...subscribe });
  await ws.next("subscribed", (frame) => frame.sub === subscribe.sub);
  return ws;
}

const eventIdOf = (event: SseEvent): string => (JSON.parse(event.data) as { event_id: string }).event_id;
/** The seq an SSE event's id (a position token) gives the stream of events without a project, which wpEvents are in. */
const seqOfId = (id: string | undefined): number => positionOf(parsePosition(id ?? "") ?? new Map(), NO_PROJECT_STREAM);

describe("deploy/nginx/events-hub.conf in Debian's nginx, in front of a real hub", () => {
  it("passes live events to a WebSocket and an SSE subscriber, uncompressed", async () => {
    const { proxy } = stack();
    const ws = await subscriber(proxy, { sub: "live" });
    // A browser asks for compression; a stream must come through as it is.
    const stream = await sse(proxy, "/api/events?channel=events", { ...AUTH, "accept-encoding": "gzip, deflate, br" });
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(stream.headers["content-encoding"]).toBeUndefined();
    const batch = wpEvents(3);
    await publish(proxy.url, ADMIN, batch);
    await until(() => ws.delivered("live").length >= 3 && stream.deliveries.length >= 3);
    expect(ws.delivered("live")).toEqual(batch.map((event) => event.event_id));
    expect(stream.deliveries.map(eventIdOf)).toEqual(batch.map((event) => event.event_id));
    expect(stream.stray).toEqual([]);
  });

  it("lets heartbeats through as the hub sends them: SSE keep-alive comments and WebSocket pings", async () => {
    const { proxy } = stack();
    const stream = await sse(proxy, "/api/events");
    const ready = JSON.parse(stream.events.find((event) => event.event === "ready")!.data) as { heartbeat_ms: number };
    expect(ready.heartbeat_ms).toBe(HEARTBEAT_MS);
    const ws = await subscriber(proxy, { sub: "beats" });
    const start = performance.now();
    await until(() => stream.comments.length >= 4 && ws.pings.length >= 4, 15_000);
    expect(stream.comments.slice(0, 4).map((comment) => comment.text)).toEqual(Array(4).fill(": keep-alive"));
    // The hub writes one every 500 ms (checked every 250 ms). A buffering nginx would
    // hold these few bytes back until kilobytes piled up, so none would arrive at all;
    // the bound only leaves room for a loaded machine.
    for (const times of [stream.comments.map((comment) => comment.at), ws.pings]) {
      const gaps = times.slice(0, 4).map((at, index) => at - (index === 0 ? start : times[index - 1]!));
      expect(Math.max(...gaps)).toBeLessThan(HEARTBEAT_MS * 4);
    }
  });

  it("resumes an SSE client that reconnects with Last-Event-ID: exactly the missed events, once", async () => {
    const { proxy, hub } = stack();
    const streamsBefore = hub.stats().connections.sse;
    const first = await sse(proxy, "/api/events?channel=events");
    const seen = wpEvents(2);
    await publish(proxy.url, ADMIN, seen);
    await until(() => first.deliveries.length >= 2);
    const lastId = first.deliveries.at(-1)!.id!;
    first.close();
    // nginx hangs up on the hub when the client goes, so the hub lets the stream go too.
    await until(() => hub.stats().connections.sse <= streamsBefore);
    const missed = wpEvents(3);
    await publish(proxy.url, ADMIN, missed);
    const second = await sse(proxy, "/api/events?channel=events", { ...AUTH, "last-event-id": lastId });
    const live = wpEvents(1);
    await publish(proxy.url, ADMIN, live);
    await until(() => second.deliveries.some((event) => eventIdOf(event) === live[0]!.event_id));
    expect(second.deliveries.map(eventIdOf)).toEqual([...missed, ...live].map((event) => event.event_id));
    // The id is a position token naming the stream the events are in.
    expect(seqOfId(lastId)).toBeGreaterThan(0);
    expect(second.deliveries.every((event) => seqOfId(event.id) > seqOfId(lastId))).toBe(true);
    expect([...first.stray, ...second.stray]).toEqual([]);
  });

  it("passes a resuming SSE client's position across 1,500 projects (a 60 KB Last-Event-ID) and resumes from it", async () => {
    const { proxy } = stack();
    const first = await sse(proxy, "/api/events?channel=events");
    await publish(proxy.url, ADMIN, wpEvents(1));
    await until(() => first.deliveries.length >= 1);
    first.close();
    const missed = wpEvents(2);
    await publish(proxy.url, ADMIN, missed);
    const position = parsePosition(first.deliveries.at(-1)!.id!)!;
    for (let index = 0; index < 1_499; index++) position.set(`00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`, 1);
    const token = formatPosition(position);
    expect(token.length).toBeGreaterThan(55_000);
    const second = await sse(proxy, "/api/events?channel=events", { ...AUTH, "last-event-id": token });
    await until(() => second.deliveries.length >= 2);
    expect(second.deliveries.map(eventIdOf)).toEqual(missed.map((event) => event.event_id));
    second.close();
  });

  it("resumes a WebSocket client that re-subscribes with since: exactly the missed events, once", async () => {
    const { proxy, hub } = stack();
    const peersBefore = hub.stats().connections.ws;
    const first = await subscriber(proxy, { sub: "first" });
    await publish(proxy.url, ADMIN, wpEvents(2));
    await until(() => first.of("message").length >= 2);
    const last = first.of("message").at(-1)!;
    first.close();
    await until(() => hub.stats().connections.ws <= peersBefore);
    const missed = wpEvents(3);
    await publish(proxy.url, ADMIN, missed);
    const again = await subscriber(proxy, { sub: "again", since: `${last.stream}:${last.seq}` });
    const live = wpEvents(1);
    await publish(proxy.url, ADMIN, live);
    await until(() => again.delivered("again").includes(live[0]!.event_id));
    expect(again.delivered("again")).toEqual([...missed, ...live].map((event) => event.event_id));
  });

  it("ends an SSE stream at the hub's lifetime cap through the proxy, and the client resumes after it", async () => {
    const own = await proxiedHub({ sseMaxLifetimeMs: 1_500 });
    cleanups.push(() => own.stop());
    const before = wpEvents(2);
    await publish(own.proxy.url, ADMIN, before);
    const first = await sse(own.proxy, "/api/events?since=");
    // nginx passes the hub's `end` event and the end of the response on at once.
    await until(() => first.ended, 10_000);
    const end = first.events.find((event) => event.event === "end");
    expect(JSON.parse(end!.data)).toMatchObject({ reason: "lifetime" });
    const missed = wpEvents(2);
    await publish(own.proxy.url, ADMIN, missed);
    const second = await sse(own.proxy, "/api/events", { ...AUTH, "last-event-id": first.deliveries.at(-1)!.id! });
    const all = [...before, ...missed].map((event) => event.event_id);
    await until(() => first.deliveries.length + second.deliveries.length >= all.length);
    expect([...first.deliveries, ...second.deliveries].map(eventIdOf)).toEqual(all);
    expect([...first.stray, ...second.stray]).toEqual([]);
  });

  it("upgrades the session and problems WebSocket endpoints", async () => {
    const { proxy } = stack();
    const id = `nginx-${randomUUID()}`;
    await publish(proxy.url, ADMIN, [sessionEvent(id, "phase")]);
    const session = track(await WsClient.open(`${proxy.wsUrl}/api/v1/sessions/${id}/events`, AUTH));
    await until(() => session.texts.length >= 1);
    await publish(proxy.url, ADMIN, [sessionEvent(id, "failed")]);
    // The hub closes a finished session's channel with 1000; the code comes through.
    const closed = await until(() => session.closeInfo);
    expect(closed.code).toBe(1000);
    expect(session.texts.map((text) => sessionFrameCodec.decodeJson(text))).toMatchObject([
      { ok: true, value: { kind: "phase" } },
      { ok: true, value: { kind: "failed" } },
    ]);
    const snapshot = problemsSnapshot();
    await publish(proxy.url, ADMIN, [snapshot]);
    const problems = track(await WsClient.open(`${proxy.wsUrl}/api/v1/problems/events?project=${snapshot.project_uuid}`, AUTH));
    await until(() => problems.texts.length >= 1);
    expect(problemsFrameCodec.decodeJson(problems.texts[0]!)).toMatchObject({ ok: true, value: { kind: "snapshot", findings: (snapshot.payload as { findings: unknown }).findings } });
  });

  it("accepts gzip batches; a body over 1 MiB is refused by nginx, one that inflates past it by the hub, both as ErrorResponse", async () => {
    const { proxy } = stack();
    const batch = wpEvents(3);
    const accepted = await postBatch(proxy.url, { token: ADMIN, body: JSON.stringify({ events: batch }), gzip: true });
    expect(accepted.status).toBe(200);
    const results = batchResponseCodec.decode(accepted.json);
    expect(results.ok && results.value.results.map((result) => [result.status, result.event_id])).toEqual(batch.map((event) => ["accepted", event.event_id]));
    // Sent as is, 1.1 MB: nginx answers before the hub reads a byte, in the hub's shape.
    const padded = JSON.stringify({ events: batch, pad: "x".repeat(1_100_000) });
    const refused = await postBatch(proxy.url, { token: ADMIN, body: padded });
    expect(refused.status).toBe(413);
    expect(refused.headers.get("content-type")).toBe("application/json");
    expect(errorResponse(refused.json).error).toMatchObject({ code: "batch_too_large" });
    // Gzipped, a few kB: nginx passes it, the hub inflates past max_batch_bytes and its own 413 (with its limits) comes back untouched.
    const inflated = await postBatch(proxy.url, { token: ADMIN, body: padded, gzip: true });
    expect(inflated.status).toBe(413);
    expect(errorResponse(inflated.json).error).toMatchObject({ code: "batch_too_large", limits: { max_batch_bytes: 1_048_576 } });
  });

  it("keeps stream tickets out of the access log (and, at nginx's default level, the error log)", async () => {
    const { proxy } = stack();
    const response = await fetch(`${proxy.url}/api/v1/stream-tickets`, { method: "POST", headers: AUTH });
    expect(response.status).toBe(201);
    const { ticket } = (await response.json()) as { ticket: string };
    const query = `?ticket=${encodeURIComponent(ticket)}`;
    const stream = await sse(proxy, `/api/events${query}`, {});
    const ws = track(await WsClient.open(`${proxy.wsUrl}/api/v1/ws${query}`));
    ws.send({ type: "hello", protocol: PROTOCOL_VERSION });
    await ws.next("welcome");
    stream.close();
    ws.close();
    // nginx writes a stream's line when it ends.
    const log = await until(() => {
      const text = proxy.accessLog();
      return text.includes('"GET /api/events HTTP/1.1" 200') && text.includes('"GET /api/v1/ws HTTP/1.1" 101') && text;
    });
    expect(log).not.toContain("ticket=");
    expect(log).not.toContain(ticket.split(".")[0]);
    expect(proxy.output()).not.toContain("ticket=");
  });
});
