/**
 * The bench's client process: many raw subscribers (hub WebSocket or SSE, the
 * floors, Socket.IO) that only scan bytes for the last event's id, raw latency
 * clients that note when each event's bytes arrive, and idle connections for
 * memory. Driven over IPC.
 */
import { now, serve, text } from "../lib/ipc.js";
import { RawClient, type RawTarget } from "../lib/raw-socket.js";

const groups = new Map<string, RawClient[]>();
let armed: Promise<void> | undefined;
let latency: { clients: RawClient[]; seen: Map<string, number>; counts: number[] } | undefined;

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

/**
 * Latency subscribers: raw clients that note, per event id, when its bytes arrived
 * (before any parsing), so the figure is the hub's and the network's, not JSON.parse's.
 */
async function openLatency(port: number, count: number, token: string): Promise<void> {
  const seen = new Map<string, number>();
  const counts: number[] = [];
  const clients = await Promise.all(Array.from({ length: count }, () => openOne("hub-ws", port, token)));
  clients.forEach((client, index) => {
    counts.push(0);
    const mine = new Set<string>();
    let tail = Buffer.alloc(0);
    client.onData((chunk) => {
      const at = now();
      // Ids split across two chunks are found in the seam; whole ones in the chunk itself.
      const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      for (let at_ = bytes.indexOf(EVENT_ID); at_ >= 0; at_ = bytes.indexOf(EVENT_ID, at_ + 1)) {
        const start = at_ + EVENT_ID.length;
        if (start + 26 > bytes.length) break;
        const id = bytes.toString("latin1", start, start + 26);
        if (mine.has(id)) continue;
        mine.add(id);
        counts[index]!++;
        // The time the last subscriber got it: keep the latest first-arrival per event.
        if ((seen.get(id) ?? 0) < at) seen.set(id, at);
      }
      tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 48)));
    });
  });
  latency = { clients, seen, counts };
}

const EVENT_ID = Buffer.from('"event_id":"');

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
    case "wait": {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`subscribers of ${name} did not all receive the last event within 60 s`)), 60_000);
      });
      try {
        await Promise.race([armed, timeout]);
      } finally {
        clearTimeout(timer);
      }
      return { at: now() };
    }
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
      for (const client of state.clients) client.close();
      latency = undefined;
      return { times, complete: state.counts.every((count) => count >= expected) };
    }
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});
