/**
 * deploy/nginx/events-hub.conf, what nginx itself does: the headers it sends the
 * upstream (a stand-in server that records them, since the hub does not echo
 * request headers) and the answers it gives when no hub is there. The shipped file
 * runs in Debian's nginx with only the upstream, the listen port and the log
 * directory swapped. Skipped without nginx, with a message naming it; fails on CI.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WsClient } from "./nginx/clients.js";
import { errorResponse, postBatch, wpEvents } from "./nginx/events.js";
import { freePort, requireNginx, startProxy } from "./nginx/proxy.js";

const cleanups: (() => unknown)[] = [];
beforeEach((context) => requireNginx(context));
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("deploy/nginx/events-hub.conf towards its upstream", () => {
  it("forwards the client's address and scheme and the request line as sent, keeps upstream connections alive, and asks the upstream to upgrade only on upgrades", async () => {
    const seen: { url: string | undefined; headers: IncomingHttpHeaders; port: number | undefined }[] = [];
    const upstream = createServer((request, response) => {
      seen.push({ url: request.url, headers: request.headers, port: request.socket.remotePort });
      response.setHeader("content-type", "application/json");
      response.end("{}");
    });
    upstream.on("upgrade", (request, socket) => {
      seen.push({ url: request.url, headers: request.headers, port: undefined });
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(resolve)));
    const address = upstream.address();
    const proxy = await startProxy(`127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`);
    cleanups.push(() => proxy.stop());
    for (let i = 0; i < 2; i++) expect((await fetch(`${proxy.url}/healthz`, { headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(200);
    // A session id with an encoded slash, and the query: passed on byte for byte.
    const raw = "/api/v1/sessions/a%2Fb%20c/events?since=3&ticket=t.x";
    expect((await fetch(`${proxy.url}${raw}`)).status).toBe(200);
    await expect(WsClient.open(`${proxy.wsUrl}/api/v1/ws`)).rejects.toThrow("upgrade refused: 404");
    const [plain, again, encoded, upgrade] = seen;
    expect(plain!.headers).toMatchObject({ "x-forwarded-for": "203.0.113.7, 127.0.0.1", "x-forwarded-proto": "http", host: "127.0.0.1" });
    // No `Connection: close` and no Upgrade on plain requests, so nginx reuses its connection to the upstream.
    expect(plain!.headers.connection).toBeUndefined();
    expect(plain!.headers.upgrade).toBeUndefined();
    expect(again!.port).toBe(plain!.port);
    expect(encoded!.url).toBe(raw);
    expect(upgrade!.headers).toMatchObject({ upgrade: "websocket", connection: "upgrade", "x-forwarded-proto": "http" });
  });

  it("answers 503 in the hub's error shape when the hub cannot be reached", async () => {
    const proxy = await startProxy(`127.0.0.1:${await freePort()}`);
    cleanups.push(() => proxy.stop());
    const health = await fetch(`${proxy.url}/healthz`);
    expect(health.status).toBe(503);
    expect(errorResponse(await health.json()).error).toMatchObject({ code: "unavailable" });
    const batch = await postBatch(proxy.url, { token: "any-token", body: JSON.stringify({ events: wpEvents(1) }), gzip: true });
    expect(batch.status).toBe(503);
    expect(errorResponse(batch.json).error).toMatchObject({ code: "unavailable" });
    await expect(WsClient.open(`${proxy.wsUrl}/api/v1/ws`)).rejects.toThrow("upgrade refused: 503");
  });
});
