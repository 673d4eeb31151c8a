/**
 * Resume, as a property: while 1,000 events are published in random chunks, a
 * subscriber is cut off at random points and resumes from the last seq it saw.
 * It must end with every event, in order, none twice: over WebSocket (`since`),
 * over SSE (`Last-Event-ID`), and with a real EventSource reconnecting by itself.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { Envelope } from "@events/schema";
import { events } from "./helpers/envelopes.js";
import { testHub, type TestHub } from "./helpers/hub.js";
import { eventSource, RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

const TOTAL = 1_000;

interface Received {
  seq: number;
  id: string;
}

/**
 * Publishes in chunks; with `received`, stays at most `lead` events ahead of the
 * subscriber, so events keep flowing through every reconnect (replay and live overlap).
 */
async function publishAll(hub: TestHub, batch: Envelope[], flow: { chunks: number[]; received?: Received[]; lead?: number }): Promise<void> {
  const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
  let start = 0;
  let index = 0;
  while (start < batch.length) {
    const size = flow.chunks[index++ % flow.chunks.length]!;
    await socket.publish(batch.slice(start, start + size));
    start += size;
    const { received, lead = 150 } = flow;
    if (received !== undefined) await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(Math.min(start, batch.length) - lead), { timeout: 30_000, interval: 1 });
  }
  socket.close();
}

function expectComplete(received: Received[], batch: Envelope[]): void {
  const seqs = received.map((item) => item.seq);
  for (let index = 1; index < seqs.length; index++) expect(seqs[index]).toBeGreaterThan(seqs[index - 1]!);
  expect(received.map((item) => item.id)).toEqual(batch.map((item) => item.event_id));
}

const cuts = fc.uniqueArray(fc.integer({ min: 1, max: TOTAL - 1 }), { minLength: 1, maxLength: 8 }).map((values) => values.sort((a, b) => a - b));
const chunks = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 });

describe("resume without gap or duplicate", () => {
  it("over WebSocket with since, cut off at random points", async () => {
    await fc.assert(
      fc.asyncProperty(cuts, chunks, async (cutAt, chunkSizes) => {
        const hub = await testHub();
        const batch = events(TOTAL);
        const received: Received[] = [];
        const publishing = publishAll(hub, batch, { chunks: chunkSizes, received });
        let cutIndex = 0;
        while (received.length < TOTAL) {
          const since = received.at(-1)?.seq ?? 0;
          const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
          const stopAt = cutAt[cutIndex++] ?? TOTAL;
          await new Promise<void>((resolve) => {
            socket.ws.on("message", (data: Buffer) => {
              if (received.length >= stopAt) return;
              const frame = JSON.parse(data.toString()) as { type: string; seq: number; event: Envelope };
              if (frame.type !== "message") return;
              received.push({ seq: frame.seq, id: frame.event.event_id });
              if (received.length >= stopAt) {
                socket.ws.terminate();
                resolve();
              }
            });
            socket.send({ type: "subscribe", sub: "r", since });
          });
        }
        await publishing;
        expectComplete(received, batch);
        await hub.stop();
      }),
      { numRuns: 6, seed: 42 },
    );
  });

  it("over SSE with Last-Event-ID, cut off at random points", async () => {
    await fc.assert(
      fc.asyncProperty(cuts, chunks, async (cutAt, chunkSizes) => {
        const hub = await testHub();
        const batch = events(TOTAL);
        const received: Received[] = [];
        const publishing = publishAll(hub, batch, { chunks: chunkSizes, received });
        let cutIndex = 0;
        while (received.length < TOTAL) {
          const last = received.at(-1);
          const stopAt = cutAt[cutIndex++] ?? TOTAL;
          const sse = await RawSse.open(`${hub.url}/api/events`, { authorization: `Bearer ${hub.admin}`, ...(last === undefined ? {} : { "last-event-id": String(last.seq) }) });
          let seen = 0;
          await sse.waitFor(() => {
            const frames = sse.events.filter((item) => item.id !== undefined && item.event === "WPAssigned");
            for (; seen < frames.length && received.length < stopAt; seen++) {
              const frame = frames[seen]!;
              received.push({ seq: Number(frame.id), id: (JSON.parse(frame.data) as Envelope).event_id });
            }
            return received.length >= stopAt;
          }, 30_000);
          sse.close();
        }
        await publishing;
        expectComplete(received, batch);
        await hub.stop();
      }),
      { numRuns: 4, seed: 7 },
    );
  });

  it("with an EventSource that reconnects by itself when the hub ends streams (lifetime cap)", async () => {
    const hub = await testHub({ sseMaxLifetimeMs: 150, sseRetryMs: 10 });
    const batch = events(TOTAL);
    const { source, events: frames } = eventSource(`${hub.url}/api/events`, hub.admin);
    await vi.waitFor(() => expect(frames.some((frame) => frame.event === "ready")).toBe(true), { timeout: 10_000 });
    // Four parts, each followed by at least one more reconnection, so events are
    // published before, during and after the streams the hub ends.
    for (let part = 0; part < 4; part++) {
      await publishAll(hub, batch.slice(part * 250, (part + 1) * 250), { chunks: [7, 30, 3, 60] });
      const connections = frames.filter((frame) => frame.event === "ready").length;
      await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "ready").length).toBeGreaterThan(connections), { timeout: 10_000 });
    }
    await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "WPAssigned").length).toBeGreaterThanOrEqual(TOTAL), { timeout: 30_000 });
    source.close();
    const received = frames.filter((frame) => frame.event === "WPAssigned").map((frame) => ({ seq: Number(frame.id), id: (JSON.parse(frame.data) as Envelope).event_id }));
    expectComplete(received, batch);
    expect(frames.filter((frame) => frame.event === "end").length).toBeGreaterThanOrEqual(4);
  });
});
