/**
 * The bench's client process: many raw subscribers (hub WebSocket or SSE, the
 * floors, Socket.IO) that only scan bytes for the last event's id, `ws` clients
 * for latency, and idle connections for memory. Driven over IPC.
 */
import WebSocket from "ws";
import { now, serve, text } from "../lib/ipc.js";
import { RawClient, type RawTarget } from "../lib/raw-socket.js";

const groups = new Map<string, RawClient[]>();
let armed: Promise<void> | undefined;
let latency: { sockets: WebSocket[]; seen: Map<string, number>; counts: number[] } | undefined;

function target(kind: string, port: number, token: string): RawTarget {
  const auth = { authorization: `Bearer ${token}` };
  switch (kind) {
    case "hub-ws":
    case "idle":
      return { kind: "ws", port, path: "/api/v1/ws", headers: auth };
    case "hub-sse":
      return { kind: "sse", port, path: "/api/events", headers: auth };
    case "floor-ws":
      return { kind: "ws", port, path: "/" };
    case "floor-sse":
      return { kind: "sse", port, path: "/" };
    case "socketio":
      return { kind: "ws", port, path: "/socket.io/?EIO=4&transport=websocket" };
    default:
      throw new Error(`unknown client kind ${kind}`);
  }
}

/** Opens one client and waits until it is subscribed. */
async function openOne(kind: string, port: number, token: string): Promise<RawClient> {
  const { client, rest } = await RawClient.open(target(kind, port, token));
  switch (kind) {
    case "hub-ws": {
      const subscribed = client.waitFor('"subscribed"', rest);
      client.sendText(JSON.stringify({ type: "subscribe", sub: "s" }));
      await subscribed;
      break;
    }
    case "idle": {
      const welcome = client.waitFor('"welcome"', rest);
      client.sendText(JSON.stringify({ type: "hello", protocol: 1 }));
      await welcome;
      break;
    }
    case "hub-sse":
      await client.waitFor("event: ready", rest);
      break;
    case "socketio": {
      await client.waitFor('0{"sid"', rest);
      const joined = client.waitFor("40{", undefined);
      client.sendText("40");
      await joined;
      break;
    }
    default:
      break;
  }
  return client;
}

async function open(name: string, kind: string, port: number, count: number, token: string): Promise<void> {
  const clients: RawClient[] = [];
  for (let start = 0; start < count; start += 200) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(200, count - start) }, () => openOne(kind, port, token)))));
  }
  groups.set(name, clients);
}

async function openLatency(port: number, count: number, token: string): Promise<void> {
  const seen = new Map<string, number>();
  const counts: number[] = [];
  const sockets = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      counts.push(0);
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      return new Promise<WebSocket>((resolve) => {
        socket.on("message", (data: Buffer) => {
          const frame = JSON.parse(data.toString()) as { type: string; event?: { event_id: string } };
          if (frame.type === "subscribed") resolve(socket);
          if (frame.type !== "message" || frame.event === undefined) return;
          const at = now();
          const id = frame.event.event_id;
          // The time the last subscriber got it: keep the latest receive time per event.
          if ((seen.get(id) ?? 0) < at) seen.set(id, at);
          counts[index]!++;
        });
        socket.on("open", () => socket.send(JSON.stringify({ type: "subscribe", sub: "l" })));
      });
    }),
  );
  latency = { sockets, seen, counts };
}

serve(async (message) => {
  const name = text(message, "name", "default");
  switch (message.cmd) {
    case "open":
      await open(name, text(message, "kind"), Number(message["port"]), Number(message["count"]), text(message, "token"));
      return {};
    case "arm": {
      const marker = text(message, "marker");
      armed = Promise.all((groups.get(name) ?? []).map((client) => client.waitFor(marker))).then(() => undefined);
      return {};
    }
    case "wait":
      await armed;
      return { at: now() };
    case "close":
      for (const client of groups.get(name) ?? []) client.close();
      groups.delete(name);
      return {};
    case "latency-open":
      await openLatency(Number(message["port"]), Number(message["count"]), text(message, "token"));
      return {};
    case "latency-collect": {
      const expected = Number(message["expected"]);
      const state = latency;
      if (state === undefined) throw new Error("no latency clients");
      const started = Date.now();
      while (state.counts.some((count) => count < expected) && Date.now() - started < 30_000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const times = Object.fromEntries(state.seen);
      for (const socket of state.sockets) socket.terminate();
      latency = undefined;
      return { times, complete: state.counts.every((count) => count >= expected) };
    }
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});
