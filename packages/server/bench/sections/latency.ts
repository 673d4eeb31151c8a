/**
 * p99 publish-to-deliver, stored first: 100 events/s to one subscriber (both ends in
 * this process, one clock), and 10 events/s to the last of 1,000 subscribers (raw
 * clients in the client process noting when each event's bytes arrive).
 */
import WebSocket from "ws";
import type { Envelope } from "@events/schema";
import { percentile, type BenchRow } from "../../../../scripts/bench-kit.js";
import { benchEvents } from "../lib/events.js";
import type { DeliverySummary } from "../lib/deliveries.js";
import { now, type Child, type Message } from "../lib/ipc.js";
import { log, paced, publisher, RUNS, SUBSCRIBERS, TOKEN, waitUntil } from "../lib/setup.js";

/** p99 publish-to-deliver at 100 events/s to one subscriber; both ends in this process. */
export async function latencyOne(hubPort: number): Promise<BenchRow> {
  // p99 over every sample of every run (a percentile of medians would hide the tail).
  const samples: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    const subscriber = new WebSocket(`ws://127.0.0.1:${hubPort}/api/v1/ws`, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
    await new Promise<void>((resolve) => {
      subscriber.on("message", (data: Buffer) => {
        const at = now();
        const frame = JSON.parse(data.toString()) as { type: string; event?: Envelope };
        if (frame.type === "subscribed") resolve();
        const sentAt = frame.event === undefined ? undefined : sent.get(frame.event.event_id);
        if (sentAt !== undefined) latencies.push(at - sentAt);
      });
      subscriber.on("open", () => subscriber.send(JSON.stringify({ type: "subscribe", sub: "one" })));
    });
    const pub = await publisher(hubPort);
    const events = benchEvents(500);
    await paced(events.length, 10, (index) => {
      const event = events[index]!;
      sent.set(event.event_id, now());
      pub.socket.send(JSON.stringify({ type: "publish", ref: `l${index}`, events: [event] }));
    });
    await waitUntil(() => latencies.length >= events.length, 10_000);
    samples.push(...latencies);
    subscriber.close();
    pub.close();
  }
  const value = percentile(samples, 99);
  return { name: `p99 publish->deliver, 100 ev/s, 1 subscriber (${samples.length} samples)`, value, unit: "ms", target: "<= 5 ms", pass: value <= 5 };
}

/** p99 publish-to-deliver to the last of 1,000 subscribers at 10 events/s (clients in the client process). */
export async function latencyThousand(clients: Child, hubPort: number): Promise<BenchRow> {
  const samples: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    await clients.request({ cmd: "open", name: "latency", kind: "hub-ws", port: hubPort, count: SUBSCRIBERS, token: TOKEN });
    const pub = await publisher(hubPort);
    const events = benchEvents(80);
    await clients.request({ cmd: "track", name: "latency", prefix: events.prefix, count: events.length });
    const sent = await paced(events.length, 100, (index) => pub.socket.send(JSON.stringify({ type: "publish", ref: `k${index}`, events: [events[index]] })));
    const { last: lat } = await clients.request<Message & DeliverySummary>({ cmd: "collect", sent, timeoutMs: 30_000 });
    if (lat.includes(-1)) throw new Error("not every subscriber got every event");
    log(`  last-of-${SUBSCRIBERS} latency p50 ${percentile(lat, 50).toFixed(1)} p90 ${percentile(lat, 90).toFixed(1)} max ${Math.max(...lat).toFixed(1)} ms`);
    samples.push(...lat);
    pub.close();
    await clients.request({ cmd: "close", name: "latency" });
  }
  const value = percentile(samples, 99);
  return { name: `p99 publish->deliver to the last of ${SUBSCRIBERS}, 10 ev/s (${samples.length} samples)`, value, unit: "ms", target: "<= 50 ms", pass: value <= 50 };
}
