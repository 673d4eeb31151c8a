/**
 * The bench's delivery instruments (bench/lib, bench/native): the ids it publishes
 * are ULIDs the hub accepts; the Node scan that times deliveries finds each id
 * exactly once wherever the stream is cut into chunks, and nothing of another run;
 * the C subscribers time every delivery from a real hub on the publisher's clock.
 */
import { createServer, type AddressInfo } from "node:net";
import { ULID_PATTERN } from "@events/schema";
import { describe, expect, it } from "vitest";
import type { DeliverySummary } from "../bench/lib/deliveries.js";
import { benchEvents } from "../bench/lib/events.js";
import { now, type Message } from "../bench/lib/ipc.js";
import { NativeSubscribers } from "../bench/lib/native-subscribers.js";
import { IdScan } from "../bench/lib/raw-socket.js";
import { publisher, TOKEN } from "../bench/lib/setup.js";
import { testHub } from "./helpers/hub.js";

function scanAll(prefix: string, stream: Buffer, cuts: readonly number[]): number[] {
  const scan = new IdScan(prefix);
  const found: number[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    scan.feed(stream.subarray(from, cut), (index) => found.push(index));
    from = cut;
  }
  return found;
}

describe("bench events and the id scan", () => {
  it("numbers each call's events in their ULIDs, under a prefix of the call's own", () => {
    const first = benchEvents(40_000);
    const second = benchEvents(3);
    expect(first.prefix).not.toBe(second.prefix);
    const pattern = new RegExp(ULID_PATTERN);
    for (const event of [...first, ...second]) expect(event.event_id).toMatch(pattern);
    expect(new Set(first.map((event) => event.event_id)).size).toBe(first.length);
    expect(first.every((event) => event.event_id.startsWith(first.prefix))).toBe(true);
  });

  it("finds every id once, however the stream is cut, and skips another call's ids", () => {
    const events = benchEvents(5);
    const other = benchEvents(5);
    const frames = [events[0], other[1], events[1], events[2], events[3], events[4]].map((event) => JSON.stringify({ type: "message", event }));
    const stream = Buffer.from(frames.join("\n"), "latin1");
    expect(scanAll(events.prefix, stream, [])).toEqual([0, 1, 2, 3, 4]);
    // Every single cut, and every pair of cuts a few bytes apart (ids and markers split in three).
    for (let cut = 1; cut < stream.length; cut++) {
      expect(scanAll(events.prefix, stream, [cut])).toEqual([0, 1, 2, 3, 4]);
      for (const gap of [1, 5, 13]) if (cut + gap < stream.length) expect(scanAll(events.prefix, stream, [cut, cut + gap])).toEqual([0, 1, 2, 3, 4]);
    }
  });
});

describe("the bench's C subscribers", () => {
  it("time every delivery of a hub's WebSocket and SSE subscribers, on the clock the publisher uses", async (context) => {
    const native = await NativeSubscribers.start();
    if (typeof native === "string") {
      // Not a service: the bench itself falls back to the Node clients without a compiler.
      context.skip(`the C subscribers cannot be built here: ${native}`);
      return;
    }
    try {
      const { hub } = await testHub({ adminToken: TOKEN });
      const port = Number(new URL(hub.url).port);
      await native.request({ cmd: "open", name: "ws", kind: "hub-ws", port, count: 3, token: TOKEN });
      await native.request({ cmd: "open", name: "sse", kind: "hub-sse", port, count: 2, token: TOKEN });
      const connection = await publisher(port);
      try {
        for (const name of ["ws", "sse"]) {
          const events = benchEvents(20);
          await native.request({ cmd: "track", name, prefix: events.prefix, count: events.length });
          const sent: number[] = [];
          for (const event of events) {
            sent.push(now());
            connection.socket.send(JSON.stringify({ type: "publish", ref: event.event_id, events: [event] }));
          }
          const seen = await native.request<Message & DeliverySummary>({ cmd: "collect", sent, timeoutMs: 20_000 });
          expect(seen.delivered).toBe(name === "ws" ? 60 : 40);
          expect(seen.expected).toBe(seen.delivered);
          // After its publish, and not long after: the C clock and lib/ipc `now` agree.
          expect(seen.first.every((latency) => latency > 0 && latency < 10_000)).toBe(true);
          expect(seen.p99).toBeLessThan(10_000);
        }
      } finally {
        connection.close();
      }
      await native.request({ cmd: "close", name: "ws" });
      await native.request({ cmd: "close", name: "sse" });

      // Ids cut across reads: a server that writes the stream a few bytes at a time.
      const events = benchEvents(6);
      const other = benchEvents(1);
      const stream = Buffer.from([events[0], other[0], ...events.slice(1)].map((event) => JSON.stringify({ type: "message", event })).join(""), "latin1");
      const server = createServer((socket) => {
        socket.setNoDelay(true);
        // The client may close as soon as it has the last id, before the stream's last bytes.
        socket.on("error", () => undefined);
        socket.once("data", () => {
          socket.write("HTTP/1.1 101 Switching Protocols\r\n\r\n");
          void ready.then(async () => {
            for (let at = 0; at < stream.length && !socket.destroyed; ) {
              const size = 1 + ((at * 7) % 23);
              socket.write(stream.subarray(at, at + size));
              at += size;
              await new Promise((resolve) => setTimeout(resolve, 1));
            }
          });
        });
      });
      let go!: () => void;
      const ready = new Promise<void>((resolve) => (go = resolve));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        await native.request({ cmd: "open", name: "cut", kind: "floor-ws", port, count: 2, token: "-" });
        await native.request({ cmd: "track", name: "cut", prefix: events.prefix, count: events.length });
        const started = now();
        go();
        const seen = await native.request<Message & DeliverySummary>({ cmd: "collect", sent: events.map(() => started), timeoutMs: 20_000 });
        expect([seen.delivered, seen.expected]).toEqual([12, 12]);
      } finally {
        server.close();
      }
    } finally {
      await native.stop();
    }
  });
});
