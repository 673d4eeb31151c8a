/**
 * The bench's client process: many raw subscribers (hub WebSocket or SSE, the
 * floors, Socket.IO) that only scan bytes for the last event's id, or, once
 * tracked, note when each event's bytes arrive at each of them (lib/deliveries);
 * and idle connections for memory. Driven over IPC.
 */
import { Deliveries } from "../lib/deliveries.js";
import { now, serve, text } from "../lib/ipc.js";
import { RawClient, type RawTarget } from "../lib/raw-socket.js";

const groups = new Map<string, RawClient[]>();
let armed: Promise<void> | undefined;
let tracked: Deliveries | undefined;

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
      client.sendText(JSON.stringify({ type: "hello", protocol: 2 }));
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
    case "track":
      tracked = new Deliveries(groups.get(name) ?? [], { prefix: text(message, "prefix"), count: Number(message["count"]) });
      return {};
    case "collect": {
      const state = tracked;
      if (state === undefined) throw new Error("nothing tracked");
      const deadline = Date.now() + Number(message["timeoutMs"] ?? 30_000);
      while (!state.complete && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      tracked = undefined;
      return { ...state.summarise(message["sent"] as number[]) };
    }
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});
