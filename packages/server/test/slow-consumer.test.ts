/**
 * One stalled subscriber among 100: the others get everything, in order, with no
 * gap; the stalled one's memory in the hub stays within its limits and it is closed
 * with 4429 after its grace period.
 */
import type { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES } from "@events/schema";
import { sizedEvent } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const EVENTS = 2_000;
const EVENT_BYTES = 3_000;
const QUEUE_BYTES = 256 * 1024;
const HIGH_WATER = 64 * 1024;

describe("slow consumers", () => {
  it("drops or closes the stalled subscriber without slowing the other 99", async () => {
    const hub = await testHub({
      limits: { subscriber_queue_events: 200, subscriber_queue_bytes: QUEUE_BYTES },
      sendHighWaterBytes: HIGH_WATER,
      slowConsumerGraceMs: 300,
      sendTimeoutMs: 2_000,
      // This test's own client is slow to read (it parses 99 other streams): give it time to see the close.
      closeGraceMs: 30_000,
    });
    const healthy = await Promise.all(Array.from({ length: 99 }, () => TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin })));
    const stalled = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    for (const socket of [...healthy, stalled]) socket.send({ type: "subscribe", sub: "s" });
    await Promise.all([...healthy, stalled].map((socket) => socket.next("subscribed")));
    const raw = (stalled.ws as unknown as { _socket: Socket })._socket;
    raw.pause();

    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const batch = Array.from({ length: EVENTS }, () => sizedEvent(EVENT_BYTES));
    for (let start = 0; start < EVENTS; start += 100) await writer.publish(batch.slice(start, start + 100));

    await vi.waitFor(() => expect(hub.hub.stats().slowConsumerCloses).toBe(1), { timeout: 20_000 });
    raw.resume();
    expect((await stalled.closed).code).toBe(CLOSE_CODES.slowConsumer);

    await vi.waitFor(() => {
      for (const socket of healthy) expect(socket.of("message").length).toBe(EVENTS);
    }, { timeout: 30_000 });
    for (const socket of healthy) {
      const seqs = socket.of("message").map((message) => message.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(socket.of("gap")).toEqual([]);
      expect(socket.closeInfo).toBeUndefined();
    }
    const stats = hub.hub.stats();
    expect(stats.drops).toBeGreaterThan(0);
    expect(stats.peakQueueBytes).toBeLessThanOrEqual(QUEUE_BYTES);
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(HIGH_WATER + 2 * EVENT_BYTES);
    // The stalled one was told what it missed before it was closed, when it read that far.
    const gap = stalled.of("gap")[0];
    if (gap !== undefined) expect(gap.to_seq).toBeGreaterThan(gap.from_seq);
    for (const socket of healthy) socket.close();
  });
});
