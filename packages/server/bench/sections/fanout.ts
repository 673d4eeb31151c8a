/**
 * Fan-out to 1,000 subscribers, batched (500 events in one burst; the hub gets them
 * as 5 publish frames of 100), side by side: raw `ws` (one pre-built buffer per
 * event), raw `ws` corked per 100 events, Socket.IO 4 and the hub over WebSocket;
 * raw SSE and the hub over SSE. Each server runs alone in its own process; the
 * subscribers are raw clients in the client process that only scan for the last
 * event's id. Rounds alternate between systems; medians are reported.
 */
import type { Envelope } from "@events/schema";
import { median, type BenchRow } from "../../../../scripts/bench-kit.js";
import { benchEvents } from "../lib/events.js";
import { now, type Child } from "../lib/ipc.js";
import { frames, log, publisher, RUNS, server, SUBSCRIBERS, TOKEN, waitUntil } from "../lib/setup.js";

const FANOUT_EVENTS = 500;

interface FanoutSystem {
  readonly name: string;
  readonly clientKind: string;
  /** Sends the events; resolves when they are handed over (the clients say when they arrived). */
  readonly send: (events: Envelope[]) => Promise<void>;
  readonly prepare?: (events: Envelope[]) => Promise<void>;
}

export async function fanout(clients: Child, hubPort: number): Promise<BenchRow[]> {
  const floorWs = server();
  const floorBatched = server();
  const floorSse = server();
  const socketIo = server();
  const ports = {
    floorWs: (await floorWs.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-ws" })).port,
    floorBatched: (await floorBatched.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-ws-batched" })).port,
    floorSse: (await floorSse.request<{ cmd: string; port: number }>({ cmd: "start", kind: "floor-sse" })).port,
    socketIo: (await socketIo.request<{ cmd: string; port: number }>({ cmd: "start", kind: "socketio" })).port,
  };
  const pub = await publisher(hubPort);
  const viaServer = (child: Child) => ({
    prepare: async (events: Envelope[]) => void (await child.request({ cmd: "load", events: events.map((event) => JSON.stringify(event)) })),
    send: async () => void (await child.request({ cmd: "go" })),
  });
  const viaHub = {
    send: async (events: Envelope[]) => {
      const before = pub.acks();
      const batch = frames(events, 100);
      for (const frame of batch) pub.socket.send(frame);
      await waitUntil(() => pub.acks() >= before + batch.length);
    },
  };
  const systems: FanoutSystem[] = [
    { name: "floor-ws", clientKind: "floor-ws", ...viaServer(floorWs) },
    { name: "floor-ws-batched", clientKind: "floor-ws", ...viaServer(floorBatched) },
    { name: "hub-ws", clientKind: "hub-ws", ...viaHub },
    { name: "socketio", clientKind: "socketio", ...viaServer(socketIo) },
    { name: "floor-sse", clientKind: "floor-sse", ...viaServer(floorSse) },
    { name: "hub-sse", clientKind: "hub-sse", ...viaHub },
  ];
  const portOf: Record<string, number> = { "floor-ws": ports.floorWs, "floor-ws-batched": ports.floorBatched, "hub-ws": hubPort, socketio: ports.socketIo, "floor-sse": ports.floorSse, "hub-sse": hubPort };
  const rates = new Map<string, number[]>(systems.map((system) => [system.name, []]));
  // Two phases (WebSocket, then SSE) so the hub never feeds both groups at once.
  for (const phase of [systems.slice(0, 4), systems.slice(4)]) {
    for (const system of phase) {
      log(`opening ${SUBSCRIBERS} ${system.name} subscribers`);
      await clients.request({ cmd: "open", name: system.name, kind: system.clientKind, port: portOf[system.name], count: SUBSCRIBERS, token: TOKEN });
    }
    // A warm-up round, not counted, then RUNS rounds alternating between systems.
    for (let run = 0; run <= RUNS; run++) {
      for (const system of phase) {
        const events = benchEvents(FANOUT_EVENTS);
        await system.prepare?.(events);
        await clients.request({ cmd: "arm", name: system.name, marker: events.at(-1)!.event_id });
        const started = now();
        const sending = system.send(events);
        const { at } = await clients.request<{ cmd: string; at: number }>({ cmd: "wait", name: system.name });
        await sending;
        if (run > 0) rates.get(system.name)!.push((SUBSCRIBERS * FANOUT_EVENTS) / ((at - started) / 1000));
        log(`  ${system.name} run ${run}: ${Math.round(at - started)} ms`);
      }
    }
    for (const system of phase) await clients.request({ cmd: "close", name: system.name });
  }
  pub.close();
  await Promise.all([floorWs.stop(), floorBatched.stop(), floorSse.stop(), socketIo.stop()]);
  const rate = (name: string) => median(rates.get(name)!);
  const hubWs = rate("hub-ws");
  const hubSse = rate("hub-sse");
  return [
    { name: `fan-out (batched) floor: raw ws, 1 buffer/event, ${SUBSCRIBERS} subs`, value: rate("floor-ws"), unit: "deliveries/s" },
    { name: `fan-out (batched) raw ws corked per 100 events (the hub's trick)`, value: rate("floor-ws-batched"), unit: "deliveries/s" },
    { name: `fan-out (batched) Socket.IO 4 broadcast, ${SUBSCRIBERS} subs`, value: rate("socketio"), unit: "deliveries/s" },
    { name: `fan-out (batched) hub WS (stored first), ${SUBSCRIBERS} subs`, value: hubWs, unit: "deliveries/s", baseline: "raw ws floor", ratio: hubWs / rate("floor-ws"), target: ">= 0.7x floor", pass: hubWs / rate("floor-ws") >= 0.7 },
    { name: `fan-out (batched) hub WS vs raw ws corked per batch`, value: hubWs, unit: "deliveries/s", baseline: "raw ws, corked", ratio: hubWs / rate("floor-ws-batched") },
    { name: `fan-out (batched) hub WS vs Socket.IO 4`, value: hubWs, unit: "deliveries/s", baseline: "Socket.IO 4", ratio: hubWs / rate("socketio"), target: ">= 3x Socket.IO", pass: hubWs / rate("socketio") >= 3 },
    { name: `fan-out (batched) floor: raw SSE, 1 buffer/event, ${SUBSCRIBERS} subs`, value: rate("floor-sse"), unit: "deliveries/s" },
    { name: `fan-out (batched) hub SSE (stored first), ${SUBSCRIBERS} subs`, value: hubSse, unit: "deliveries/s", baseline: "raw SSE floor", ratio: hubSse / rate("floor-sse"), target: ">= 0.7x floor", pass: hubSse / rate("floor-sse") >= 0.7 },
  ];
}
