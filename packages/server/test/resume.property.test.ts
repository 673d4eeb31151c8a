/**
 * Resume, as a property: while 1,000 events spread over three streams (two projects
 * and events without one) are published in random chunks, a subscriber is cut off at
 * random points and resumes from its position token. It must end with every event
 * of every stream, each stream in order from seq 1 without a hole, none twice: over
 * WebSocket (`since`), over SSE (`Last-Event-ID`: the full token of a multi-stream
 * subscription), and with a real EventSource reconnecting by itself.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { formatPosition, streamOf, type Envelope } from "@events/schema";
import { event, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { testHub, type TestHub } from "./helpers/hub.js";
import { eventSource, RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

const TOTAL = 1_000;
const PROJECTS = [PROJECT_A, PROJECT_B, null] as const;

interface Received {
  stream: string;
  seq: number;
  id: string;
}

/** TOTAL events whose projects follow `pattern` over and over. */
function spread(pattern: readonly number[]): Envelope[] {
  return Array.from({ length: TOTAL }, (_, index) => event({ project_uuid: PROJECTS[pattern[index % pattern.length]!]! }));
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

/** Every stream complete: seqs 1, 2, 3, ... in order, the events in the order they were published, none twice. */
function expectComplete(received: Received[], batch: Envelope[]): void {
  for (const project of PROJECTS) {
    const stream = streamOf(project);
    const got = received.filter((item) => item.stream === stream);
    const sent = batch.filter((item) => item.project_uuid === project);
    expect(got.map((item) => item.seq)).toEqual(sent.map((_, index) => index + 1));
    expect(got.map((item) => item.id)).toEqual(sent.map((item) => item.event_id));
  }
  expect(received.length).toBe(batch.length);
}

/** The position a client keeps: its last seq per stream. */
function positionOf(received: Received[]): string {
  const position = new Map<string, number>();
  for (const item of received) position.set(item.stream, item.seq);
  return formatPosition(position);
}

const cuts = fc.uniqueArray(fc.integer({ min: 1, max: TOTAL - 1 }), { minLength: 1, maxLength: 8 }).map((values) => values.sort((a, b) => a - b));
const chunks = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 });
const patterns = fc.array(fc.integer({ min: 0, max: PROJECTS.length - 1 }), { minLength: 1, maxLength: 16 });

describe("resume across streams without gap or duplicate in any", () => {
  it("over WebSocket with since = the position token, cut off at random points", async () => {
    await fc.assert(
      fc.asyncProperty(cuts, chunks, patterns, async (cutAt, chunkSizes, pattern) => {
        const hub = await testHub();
        const batch = spread(pattern);
        const received: Received[] = [];
        const publishing = publishAll(hub, batch, { chunks: chunkSizes, received });
        let cutIndex = 0;
        while (received.length < TOTAL) {
          const since = positionOf(received);
          const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
          const stopAt = cutAt[cutIndex++] ?? TOTAL;
          await new Promise<void>((resolve) => {
            socket.ws.on("message", (data: Buffer) => {
              if (received.length >= stopAt) return;
              const frame = JSON.parse(data.toString()) as { type: string; stream: string; seq: number; event: Envelope };
              if (frame.type !== "message") return;
              received.push({ stream: frame.stream, seq: frame.seq, id: frame.event.event_id });
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

  it("over SSE with Last-Event-ID = the last id read, cut off at random points", async () => {
    await fc.assert(
      fc.asyncProperty(cuts, chunks, patterns, async (cutAt, chunkSizes, pattern) => {
        const hub = await testHub();
        const batch = spread(pattern);
        const received: Received[] = [];
        const publishing = publishAll(hub, batch, { chunks: chunkSizes, received });
        let cutIndex = 0;
        let lastId: string | undefined;
        while (received.length < TOTAL) {
          const stopAt = cutAt[cutIndex++] ?? TOTAL;
          const sse = await RawSse.open(`${hub.url}/api/events`, { authorization: `Bearer ${hub.admin}`, ...(lastId === undefined ? {} : { "last-event-id": lastId }) });
          let seen = 0;
          await sse.waitFor(() => {
            const frames = sse.events.filter((item) => item.id !== undefined && item.event === "WPAssigned");
            for (; seen < frames.length && received.length < stopAt; seen++) {
              const frame = frames[seen]!;
              const envelope = JSON.parse(frame.data) as Envelope;
              const stream = streamOf(envelope.project_uuid);
              const before = received.filter((item) => item.stream === stream).at(-1)?.seq ?? 0;
              received.push({ stream, seq: before + 1, id: envelope.event_id });
              lastId = frame.id;
              // The id is the whole position after this event, every stream in it.
              expect(lastId).toBe(positionOf(received));
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

  it("with an EventSource that reconnects by itself (Last-Event-ID a multi-stream token) when the hub ends streams (lifetime cap)", async () => {
    const hub = await testHub({ sseMaxLifetimeMs: 150, sseRetryMs: 10 });
    const batch = spread([0, 1, 2, 2, 0]);
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
    const received: Received[] = [];
    for (const frame of frames.filter((item) => item.event === "WPAssigned")) {
      const envelope = JSON.parse(frame.data) as Envelope;
      const stream = streamOf(envelope.project_uuid);
      received.push({ stream, seq: (received.filter((item) => item.stream === stream).at(-1)?.seq ?? 0) + 1, id: envelope.event_id });
      expect(frame.id).toBe(positionOf(received));
    }
    expectComplete(received, batch);
    expect(frames.filter((frame) => frame.event === "end").length).toBeGreaterThanOrEqual(4);
  });
});
