/**
 * One stalled subscriber among 100: the others get everything, in order, with no
 * gap; the stalled one's memory in the hub stays within its limits and it is closed
 * with 4429 after its grace period.
 */
import type { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES, SSE_EVENTS, sseEndDataCodec, sseGapDataCodec } from "@events/schema";
import { sizedEvent } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

const EVENTS = 2_000;
const EVENT_BYTES = 3_000;
const QUEUE_BYTES = 256 * 1024;
const HIGH_WATER = 64 * 1024;

describe("slow consumers", () => {
  it("closes the stalled subscriber with 4429 after its grace, without slowing the other 99", async () => {
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
    // Publish until the hub has closed the stalled one (the kernel's socket buffers take
    // a varying amount first), at most every event of the batch.
    for (let start = 0; start < EVENTS && hub.hub.stats().slowConsumerCloses === 0; start += 100) await writer.publish(batch.slice(start, start + 100));

    await vi.waitFor(() => expect(hub.hub.stats().slowConsumerCloses).toBe(1), { timeout: 20_000 });
    const published = hub.hub.stats().heads.get("-") ?? 0;
    raw.resume();
    expect(await stalled.closed).toEqual({ code: CLOSE_CODES.slowConsumer, reason: expect.stringMatching(/resubscribe from the position you last processed$/) as string });

    await vi.waitFor(() => {
      for (const socket of healthy) expect(socket.of("message").length).toBe(published);
    }, { timeout: 30_000 });
    for (const socket of healthy) {
      const seqs = socket.of("message").map((message) => message.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(socket.of("gap")).toEqual([]);
      expect(socket.closeInfo).toBeUndefined();
    }
    const stats = hub.hub.stats();
    expect(stats.peakQueueBytes).toBeLessThanOrEqual(QUEUE_BYTES);
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(HIGH_WATER + 2 * EVENT_BYTES);
    for (const socket of healthy) socket.close();
  });

  it("drops the oldest frames of a stalled subscriber at its queue limit and tells it the gap, the others losing nothing", async () => {
    const hub = await testHub({
      limits: { subscriber_queue_events: 200, subscriber_queue_bytes: QUEUE_BYTES },
      sendHighWaterBytes: HIGH_WATER,
      // Never closed during the test: what it shows is drop-oldest, however slow the machine is.
      slowConsumerGraceMs: 600_000,
      sendTimeoutMs: 600_000,
      closeGraceMs: 30_000,
    });
    const healthy = await Promise.all(Array.from({ length: 3 }, () => TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin })));
    const stalled = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    for (const socket of [...healthy, stalled]) socket.send({ type: "subscribe", sub: "s" });
    await Promise.all([...healthy, stalled].map((socket) => socket.next("subscribed")));
    const raw = (stalled.ws as unknown as { _socket: Socket })._socket;
    raw.pause();

    // Loopback sockets buffer tens of MiB before the hub's queue fills: publish until
    // the hub drops, bounded by what the kernel could ever hold. Each commit (10 events)
    // stays well under the queue limit, so a subscriber that reads never drops.
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const big = 16 * 1024;
    for (let sent = 0; hub.hub.stats().drops === 0; sent += 10) {
      if (sent > 8_000) throw new Error(`no drop after ${sent} events of ${big} bytes`);
      await writer.publish(Array.from({ length: 10 }, () => sizedEvent(big)));
    }
    const published = hub.hub.stats().heads.get("-") ?? 0;
    expect(hub.hub.stats().peakQueueBytes).toBeLessThanOrEqual(QUEUE_BYTES + big);
    raw.resume();
    await stalled.next("gap");
    for (const gap of stalled.of("gap")) expect(gap).toMatchObject({ stream: "-", to_seq: expect.any(Number) as number });
    for (const gap of stalled.of("gap")) expect(gap.to_seq).toBeGreaterThan(gap.from_seq);
    await vi.waitFor(() => {
      for (const socket of healthy) expect(socket.of("message").length).toBe(published);
    }, { timeout: 30_000 });
    for (const socket of healthy) expect(socket.of("gap")).toEqual([]);
    expect(stalled.closeInfo).toBeUndefined();
  });

  it("over SSE: a stalled stream gets gap, then end with slow_consumer; a healthy one gets everything", async () => {
    const hub = await testHub({
      limits: { subscriber_queue_events: 100, subscriber_queue_bytes: 512 * 1024 },
      sendHighWaterBytes: HIGH_WATER,
      slowConsumerGraceMs: 300,
      closeGraceMs: 30_000,
    });
    const auth = { authorization: `Bearer ${hub.admin}` };
    const healthy = await RawSse.open(`${hub.url}/api/events`, auth);
    const stalled = await RawSse.open(`${hub.url}/api/events`, auth);
    await healthy.waitFor(() => healthy.named("ready")[0]);
    await stalled.waitFor(() => stalled.named("ready")[0]);
    stalled.pause();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const batch = Array.from({ length: 5_000 }, () => sizedEvent(EVENT_BYTES));
    // Paced by the healthy reader (this test process parses slower than the hub sends),
    // while the stalled one reads nothing and overflows.
    for (let start = 0; start < batch.length && hub.hub.stats().slowConsumerCloses === 0; start += 100) {
      await writer.publish(batch.slice(start, start + 100));
      await healthy.waitFor(() => healthy.named("MachineEvent").length >= start, 30_000);
    }
    await vi.waitFor(() => expect(hub.hub.stats().slowConsumerCloses).toBe(1), { timeout: 20_000 });
    const published = hub.hub.stats().heads.get("-") ?? 0;
    stalled.resume();
    await stalled.waitFor(() => stalled.ended, 20_000);
    const gap = sseGapDataCodec.decodeJson(stalled.named(SSE_EVENTS.gap)[0]!.data);
    if (!gap.ok) throw new Error(`gap data: ${gap.issues[0]?.message}`);
    expect(gap.value).toMatchObject({ stream: "-", reason: "slow_consumer" });
    expect(gap.value.to_seq).toBeGreaterThan(gap.value.from_seq);
    const end = sseEndDataCodec.decodeJson(stalled.named(SSE_EVENTS.end)[0]!.data);
    expect(end.ok && end.value).toMatchObject({ reason: "slow_consumer", code: CLOSE_CODES.slowConsumer });
    await healthy.waitFor(() => healthy.named("MachineEvent").length === published, 30_000);
    expect(healthy.named("gap")).toEqual([]);
    expect(healthy.named("end")).toEqual([]);
    healthy.close();
  });
});
