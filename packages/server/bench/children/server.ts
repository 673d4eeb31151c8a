/**
 * The bench's server process: one of the hub (from ../dist), the raw `ws` floor,
 * the raw SSE floor, or Socket.IO 4, driven over IPC. Servers run here, alone on
 * their event loop; clients (and the rates section's publisher) run in other
 * processes. Under load it can be watched: peak RSS, CPU, the hub's commits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
// Self-reference: type-checked against src (the @events/source condition), run from dist.
// The hub and Socket.IO are loaded only by the child that runs them, so the floors' RSS is the floors'.
import type { Hub, startHub as StartHub } from "@events/server";
import { now, serve, text } from "../lib/ipc.js";

let hub: Hub | undefined;
let dataDir: string | undefined;
let loaded: string[] = [];
let broadcast: (() => void) | undefined;
const TEXT = { binary: false } as const;

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function start(kind: string, token: string, module?: string): Promise<number> {
  switch (kind) {
    case "hub": {
      dataDir = mkdtempSync(join(tmpdir(), "events-bench-"));
      // The raw bench clients answer no pings (the floors send none): keep the hub's
      // liveness check out of a run that lasts minutes.
      // `module`: another build of the hub (a path to its index.js), to compare two builds in one run.
      const { startHub } = (await import(module === undefined || module === "" ? "@events/server" : pathToFileURL(module).href)) as { startHub: typeof StartHub };
      hub = await startHub({ port: 0, dataDir, socketPath: false, adminToken: token, logger: "silent", heartbeatMs: 600_000, pingTimeoutMs: 1_200_000 });
      return Number(new URL(hub.url).port);
    }
    case "floor-ws": {
      // The floor: raw ws, one pre-built buffer per event sent to every client; from a
      // publisher on /publish, each message's own buffer, as it came.
      const server = createServer();
      const wss = new WebSocketServer({ server, perMessageDeflate: false });
      const clients = new Set<WebSocket>();
      wss.on("connection", (ws, request) => {
        if (request.url === "/publish") {
          ws.on("message", (data: Buffer) => {
            for (const client of clients) client.send(data, TEXT);
          });
          return;
        }
        clients.add(ws);
        ws.on("close", () => clients.delete(ws));
      });
      broadcast = () => {
        for (const text of loaded) {
          const bytes = Buffer.from(text);
          for (const client of clients) client.send(bytes, TEXT);
        }
      };
      return listen(server);
    }
    case "floor-ws-batched": {
      // The floor with the hub's trick: each client's socket corked for 100 events, one write per batch.
      const server = createServer();
      const wss = new WebSocketServer({ server, perMessageDeflate: false });
      const clients = new Set<WebSocket>();
      wss.on("connection", (ws) => {
        clients.add(ws);
        ws.on("close", () => clients.delete(ws));
      });
      broadcast = () => {
        for (let start = 0; start < loaded.length; start += 100) {
          const batch = loaded.slice(start, start + 100).map((text) => Buffer.from(text));
          for (const client of clients) {
            const socket = (client as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
            socket.cork();
            for (const bytes of batch) client.send(bytes, TEXT);
            socket.uncork();
          }
        }
      };
      return listen(server);
    }
    case "floor-sse": {
      const server = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" });
        response.write("retry: 2000\n\n");
        responses.add(response);
        response.on("close", () => responses.delete(response));
      });
      const responses = new Set<ServerResponse>();
      broadcast = () => {
        let seq = 0;
        for (const text of loaded) {
          const bytes = Buffer.from(`id: ${++seq}\nevent: WPStatusChanged\ndata: ${text}\n\n`);
          for (const response of responses) response.write(bytes);
        }
      };
      return listen(server);
    }
    case "socketio": {
      const server = createServer();
      const { Server: SocketIoServer } = await import("socket.io");
      const io = new SocketIoServer(server, { transports: ["websocket"], perMessageDeflate: false, pingInterval: 600_000, pingTimeout: 600_000 });
      // A publisher emits "publish"; every other socket gets it as "event" (one encode per broadcast).
      io.on("connection", (socket) => socket.on("publish", (event: unknown) => socket.broadcast.emit("event", event)));
      broadcast = () => {
        for (const text of loaded) io.emit("event", JSON.parse(text) as unknown);
      };
      return listen(server);
    }
    default:
      throw new Error(`unknown server ${kind}`);
  }
}

export interface Watched {
  /** RSS in bytes when watching began. */
  readonly rssStart: number;
  /** Peak RSS in bytes, sampled every 50 ms. */
  readonly rss: number;
  /** CPU time as a share of one core. */
  readonly cpu: number;
  /** The part of `cpu` spent in the kernel (socket writes, mostly). */
  readonly systemCpu: number;
  /** The hub's store transactions meanwhile, and their seconds in total. */
  readonly commits: number;
  readonly commitSeconds: number;
  /** Frames the hub dropped for slow subscribers meanwhile. */
  readonly drops: number;
}

let watching: { stop(): Promise<Watched> } | undefined;

/** Starts watching this process under load: peak RSS, CPU, and the hub's commits and drops. */
async function watch(): Promise<{ stop(): Promise<Watched> }> {
  const rssStart = process.memoryUsage.rss();
  let rss = rssStart;
  const timer = setInterval(() => (rss = Math.max(rss, process.memoryUsage.rss())), 50);
  const before = { writes: await storeWrites(), drops: hub?.stats().drops ?? 0, cpu: process.cpuUsage(), at: now() };
  return {
    stop: async () => {
      clearInterval(timer);
      const cpu = process.cpuUsage(before.cpu);
      const seconds = (now() - before.at) / 1000;
      const writes = await storeWrites();
      return {
        rssStart,
        rss: Math.max(rss, process.memoryUsage.rss()),
        cpu: (cpu.user + cpu.system) / 1e6 / seconds,
        systemCpu: cpu.system / 1e6 / seconds,
        commits: writes.count - before.writes.count,
        commitSeconds: writes.seconds - before.writes.seconds,
        drops: (hub?.stats().drops ?? 0) - before.drops,
      };
    },
  };
}

/** The hub's store-transaction histogram (count, sum) from its /metrics; zeros for the other servers. */
async function storeWrites(): Promise<{ count: number; seconds: number }> {
  if (hub === undefined) return { count: 0, seconds: 0 };
  const body = await (await fetch(`${hub.url}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(body)?.[1] ?? 0);
  return { count: read("events_store_write_seconds_count"), seconds: read("events_store_write_seconds_sum") };
}

serve(async (message) => {
  switch (message.cmd) {
    case "start":
      return { port: await start(text(message, "kind"), text(message, "token", "bench-admin"), text(message, "module")) };
    case "load":
      loaded = message["events"] as string[];
      return {};
    case "go":
      broadcast?.();
      return {};
    case "memory": {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const usage = process.memoryUsage();
      return { rss: usage.rss, heap: usage.heapUsed, external: usage.external, connections: hub?.stats().connections.ws ?? 0 };
    }
    case "watch":
      await watching?.stop();
      watching = await watch();
      return {};
    case "watched": {
      const seen = await watching?.stop();
      watching = undefined;
      return { ...seen };
    }
    case "stop":
      await hub?.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
      return {};
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});

// Stopped with SIGTERM: exit normally, so a `--cpu-prof` profile is written.
process.on("SIGTERM", () => process.exit(0));
