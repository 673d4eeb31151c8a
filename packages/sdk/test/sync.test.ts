/**
 * Sync against the real hub, started in the test: the failures the systems we learn
 * from had (no acks, a poison event at the head, an expired token, a dead hub) are
 * each a test here.
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { gunzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { createEmitter, type Emitter, type EmitterOptions } from "../src/index.js";
import { ADMIN, freePort, hubProcess, inProcessHub, projectToken, revokeToken, storedEvents, tempDir } from "./helpers/hub-process.js";

const PROJECT = { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" };
const OTHER = { uuid: "0b5e0c1d-2222-4a3a-9b9b-123456789abc", slug: "other" };

function emitter(options: EmitterOptions & { home: string }): Emitter {
  return createEmitter({ project: PROJECT, exitHook: false, autoSync: false, ...options });
}

function emitMany(target: Emitter, count: number, label = "note"): void {
  for (let i = 0; i < count; i++) {
    const result = target.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `${label} ${i}` });
    if (!result.ok) throw new Error(result.message);
  }
}

describe("sync over the WebSocket", () => {
  it("delivers events emitted while the hub was down, each stored once", async () => {
    const port = await freePort();
    const home = tempDir("events-sync-home-");
    const client = emitter({ home, serverUrl: `http://127.0.0.1:${port}`, token: ADMIN });
    emitMany(client, 300);
    const down = await client.syncNow({ timeoutMs: 10_000 });
    expect(down.error?.errorClass).toBe("network");
    expect(down.remaining).toBe(300);
    expect(client.status().lastError?.hint).toMatch(/queued/);

    const hub = await inProcessHub({ port });
    const up = await client.syncNow();
    expect(up).toMatchObject({ synced: 300, duplicates: 0, rejected: 0, remaining: 0 });
    expect(client.connectionStatus()).toBe("connected");
    expect(storedEvents(hub.dataDir)).toEqual({ rows: 300, distinct: 300 });
    await client.close();
  });

  it("survives the hub being killed with SIGKILL and restarted mid-sync of 20,000 events", async () => {
    const port = await freePort();
    const dataDir = join(tempDir("events-sync-kill-"), "data");
    let hub = await hubProcess(port, dataDir);
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: hub.url, token: ADMIN });
    emitMany(client, 20_000);
    let killed: Promise<void> | undefined;
    const first = await client.syncNow({
      onProgress: (progress) => {
        if (killed === undefined && progress.synced >= 4_000) killed = hub.kill("SIGKILL");
      },
    });
    await killed;
    expect(killed).toBeDefined();
    expect(first.remaining).toBeGreaterThan(0);
    expect(first.error?.errorClass).toBe("network");

    hub = await hubProcess(port, dataDir);
    const second = await client.syncNow();
    expect(second.remaining).toBe(0);
    expect(first.synced + second.synced + second.duplicates).toBe(20_000);
    expect(storedEvents(dataDir)).toEqual({ rows: 20_000, distinct: 20_000 });
    await client.close();
  });

  it("counts events the hub already holds as duplicates, and delivered", async () => {
    const hub = await inProcessHub();
    const first = emitter({ home: tempDir("events-sync-home-"), serverUrl: hub.url, token: ADMIN });
    emitMany(first, 50);
    const ids = first.outbox.claim(100).map((row) => row.event);
    first.outbox.release(ids.map((event) => event.event_id));
    expect(await first.syncNow()).toMatchObject({ synced: 50, remaining: 0 });

    // The same events, queued again elsewhere (a resend after a lost ack looks the same to the hub).
    const second = emitter({ home: tempDir("events-sync-home-"), serverUrl: hub.url, token: ADMIN });
    for (const event of ids) {
      if (event.event_type !== "HistoryAdded") throw new Error("unexpected type");
      expect(second.emitHistoryAdded(event.payload, { eventId: event.event_id }).ok).toBe(true);
    }
    expect(await second.syncNow()).toMatchObject({ synced: 0, duplicates: 50, remaining: 0 });
    expect(storedEvents(hub.dataDir).rows).toBe(50);
    await first.close();
    await second.close();
  });

  it("dead-letters a poison event after its retries while every other event is delivered", async () => {
    const hub = await inProcessHub();
    const { token } = await projectToken(hub.url, PROJECT.uuid);
    const home = tempDir("events-sync-home-");
    // An event of another project, which this project's token may not write, queued first.
    const stranger = emitter({ home, project: OTHER, maxRetries: 3 });
    emitMany(stranger, 1, "poison");
    await stranger.close();
    const client = emitter({ home, serverUrl: hub.url, token, maxRetries: 3 });
    emitMany(client, 200);
    const result = await client.syncNow();
    expect(result).toMatchObject({ synced: 200, deadLettered: 1, remaining: 0 });
    expect(result.rejected).toBe(4);
    const [dead] = client.outbox.deadLetters();
    expect(dead?.event.project_uuid).toBe(OTHER.uuid);
    expect(dead?.lastError).toMatch(/project/i);
    expect(storedEvents(hub.dataDir).rows).toBe(200);
    await client.close();
  });

  it("splits batches by the hub's advertised limits", async () => {
    const hub = await inProcessHub({ limits: { max_events_per_batch: 25 } });
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: hub.url, token: ADMIN });
    emitMany(client, 200);
    const sizes: number[] = [];
    client.onSync("batch", (batch) => sizes.push(batch.size));
    expect(await client.syncNow()).toMatchObject({ synced: 200, remaining: 0 });
    expect(sizes.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
    await client.close();
  });

  it("moves to unauthenticated when its token is revoked, keeps every event and says what to do", async () => {
    const hub = await inProcessHub();
    const { id, token } = await projectToken(hub.url, PROJECT.uuid);
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: hub.url, token });
    emitMany(client, 150);
    expect(await client.syncNow()).toMatchObject({ synced: 150, remaining: 0 });
    expect(client.connectionStatus()).toBe("connected");
    const states: string[] = [];
    client.onSync("state", (change) => states.push(change.state));
    // The hub closes the open WebSocket of a revoked token (4401).
    await revokeToken(hub.url, id);
    await vi.waitFor(() => expect(client.connectionStatus()).toBe("unauthenticated"), { timeout: 10_000 });
    emitMany(client, 150, "after revoke");
    const result = await client.syncNow();
    expect(result.error?.errorClass).toBe("auth");
    expect(result.error?.hint).toContain("events auth login");
    expect(result.remaining).toBe(150);
    expect(states).toContain("unauthenticated");
    expect(client.status().lastError?.errorClass).toBe("auth");
    expect(client.outbox.size()).toBe(150);
    expect(client.outbox.deadLetters()).toEqual([]);
    await client.close();
  });
});

describe("sync over HTTP batches", () => {
  /** A proxy in front of the hub that refuses big batches (413), asks once to wait (429) and refuses WebSocket upgrades (403). */
  interface ProxyLogEntry {
    status: number;
    events: number;
    at: number;
    gzip: boolean;
  }
  async function strictProxy(hubUrl: string, maxEvents: number): Promise<{ url: string; log: ProxyLogEntry[]; upgrades: () => number }> {
    const log: ProxyLogEntry[] = [];
    let upgrades = 0;
    let askedToWait = false;
    const target = new URL(hubUrl);
    const server: Server = createHttpServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        if (req.method === "POST" && req.url === "/api/v1/events/batch") {
          const gzip = req.headers["content-encoding"] === "gzip";
          const events = (JSON.parse((gzip ? gunzipSync(body) : body).toString()) as { events: unknown[] }).events.length;
          if (!askedToWait && events > 0) {
            askedToWait = true;
            log.push({ status: 429, events, at: Date.now(), gzip });
            res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
            return res.end(JSON.stringify({ error: { code: "rate_limited", message: "slow down" } }));
          }
          if (events > maxEvents) {
            log.push({ status: 413, events, at: Date.now(), gzip });
            res.writeHead(413, { "content-type": "application/json" });
            return res.end(JSON.stringify({ error: { code: "batch_too_large", message: `${events} > ${maxEvents}` } }));
          }
          log.push({ status: 200, events, at: Date.now(), gzip });
        }
        const forward = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (upstream) => {
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(res);
          },
        );
        forward.end(body);
      });
    });
    server.on("upgrade", (_req: IncomingMessage, socket: Duplex) => {
      upgrades += 1;
      socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    afterClose.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${port}`, log, upgrades: () => upgrades };
  }
  const afterClose: (() => Promise<void>)[] = [];

  it("recovers from a 413 by splitting, and honours Retry-After", async () => {
    const hub = await inProcessHub({ limits: { max_events_per_batch: 400 } });
    const proxy = await strictProxy(hub.url, 60);
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: proxy.url, token: ADMIN, syncTransport: "http" });
    emitMany(client, 300);
    const result = await client.syncNow();
    expect(result).toMatchObject({ synced: 300, remaining: 0 });
    expect(client.connectionStatus()).toBe("batch");
    const statuses = proxy.log.map((entry) => entry.status);
    expect(statuses[0]).toBe(429);
    expect(statuses).toContain(413);
    expect(proxy.log[1]!.at - proxy.log[0]!.at).toBeGreaterThanOrEqual(900);
    expect(Math.max(...proxy.log.filter((entry) => entry.status === 200).map((entry) => entry.events))).toBeLessThanOrEqual(60);
    expect(storedEvents(hub.dataDir).rows).toBe(300);
    await client.close();
    for (const close of afterClose.splice(0)) await close();
  });

  it("sends HTTP batches at once when the WebSocket upgrade is refused on the way, without asking for it again on the next drain", async () => {
    const hub = await inProcessHub();
    const proxy = await strictProxy(hub.url, 1_000);
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: proxy.url, token: ADMIN });
    // More than a small drain: the WebSocket is tried first.
    emitMany(client, 150);
    expect(await client.syncNow()).toMatchObject({ synced: 150, remaining: 0 });
    expect(client.connectionStatus()).toBe("batch");
    emitMany(client, 150, "again");
    expect(await client.syncNow()).toMatchObject({ synced: 150, remaining: 0 });
    expect(proxy.upgrades()).toBe(1);
    expect(storedEvents(hub.dataDir).rows).toBe(300);
    await client.close();
    for (const close of afterClose.splice(0)) await close();
  });

  it("sends small bodies as they are and gzip-compresses from 8 KiB up", async () => {
    const hub = await inProcessHub();
    const proxy = await strictProxy(hub.url, 1_000);
    const client = emitter({ home: tempDir("events-sync-home-"), serverUrl: proxy.url, token: ADMIN, syncTransport: "http" });
    emitMany(client, 1);
    await client.syncNow();
    emitMany(client, 200);
    expect(await client.syncNow()).toMatchObject({ synced: 200, remaining: 0 });
    const delivered = proxy.log.filter((entry) => entry.status === 200);
    // The first answer is the proxy's 429; the retry and the big batch reach the hub.
    expect(delivered.map((entry) => [entry.events, entry.gzip])).toEqual([
      [1, false],
      [200, true],
    ]);
    expect(storedEvents(hub.dataDir).rows).toBe(201);
    await client.close();
    for (const close of afterClose.splice(0)) await close();
  });
});
