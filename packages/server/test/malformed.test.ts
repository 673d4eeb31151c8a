/**
 * 10,000 malformed frames and bodies: bad JSON, unknown kinds, wrong types, bad
 * events, oversize. Each gets a structured answer (an `error` frame, an ack with
 * per-event issues, an ErrorResponse, or 1009 past the frame limit), the hub never
 * falls over, and a healthy publisher and subscriber running alongside lose nothing.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES, clientFrameCodec, errorResponseCodec, hubFrameCodec } from "@events/schema";
import { event, events } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const WS_CONNECTIONS = 8;
const WS_FRAMES_PER_CONNECTION = 1_030;
const OVERSIZE_CONNECTIONS = 50;
const HTTP_BODIES = 2_050;
const MAX_FRAME = 16_384;

/** Malformed frames of every family, deterministic for a seed. */
function malformedFrames(count: number, seed: number): (string | Buffer)[] {
  const valid = event();
  const families: fc.Arbitrary<string | Buffer>[] = [
    // bad JSON: truncated valid frames, stray text, garbage bytes sent as binary
    fc.nat({ max: 200 }).map((cut) => JSON.stringify({ type: "publish", ref: "r", events: [valid] }).slice(0, cut)),
    fc.string({ maxLength: 40 }).map((text) => `{${text}`),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from([0xff, ...bytes])),
    // unknown kinds and missing tags
    fc.string({ minLength: 1, maxLength: 12 }).filter((type) => !["hello", "publish", "subscribe", "unsubscribe", "ping", "pong"].includes(type)).map((type) => JSON.stringify({ type })),
    fc.anything().map((value) => JSON.stringify(value) ?? "undefined"),
    // wrong types in known frames
    fc.oneof(
      fc.constant({ type: "hello", protocol: 2 }),
      fc.record({ type: fc.constant("publish"), ref: fc.integer(), events: fc.constant([valid]) }),
      fc.record({ type: fc.constant("publish"), ref: fc.constant("r"), events: fc.oneof(fc.constant([]), fc.string(), fc.integer()) }),
      fc.record({ type: fc.constant("subscribe"), sub: fc.constant("s"), since: fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.double()) }),
      fc.record({ type: fc.constant("unsubscribe") }),
      fc.record({ type: fc.constant("ping"), ts: fc.string() }),
      fc.record({ type: fc.constant("ping"), extra: fc.boolean() }),
    ).map((frame) => JSON.stringify(frame)),
    // a well-formed publish whose events are all malformed: answered by an ack of rejections
    fc.array(fc.oneof(fc.anything(), fc.constant({ ...valid, event_type: "Nope" }), fc.constant({ ...valid, lamport_clock: "1" })), { minLength: 1, maxLength: 5 }).map((bad) =>
      JSON.stringify({ type: "publish", ref: "bad-events", events: bad }),
    ),
  ];
  return fc.sample(fc.oneof(...families), { numRuns: count, seed });
}

function isValidFrame(frame: string | Buffer): boolean {
  return clientFrameCodec.decodeJson(frame).ok && !(typeof frame === "string" && frame.includes('"bad-events"'));
}

describe("malformed input", () => {
  it("answers 10,000 malformed frames and bodies with structured errors while healthy clients carry on", async () => {
    const hub = await testHub({ limits: { max_frame_bytes: MAX_FRAME, max_batch_bytes: 65_536 } });
    const subscriber = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    subscriber.send({ type: "subscribe", sub: "healthy" });
    await subscriber.next("subscribed");
    const publisher = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const healthyEvents = events(500);
    const healthyAcks = (async () => {
      for (let start = 0; start < healthyEvents.length; start += 25) {
        const ack = await publisher.publish(healthyEvents.slice(start, start + 25));
        expect(ack.results.every((result) => result.status === "accepted")).toBe(true);
      }
    })();

    let sent = 0;
    const connections = await Promise.all(
      Array.from({ length: WS_CONNECTIONS }, async (_, index) => {
        const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
        const frames = malformedFrames(WS_FRAMES_PER_CONNECTION, 1_000 + index).filter((frame) => !isValidFrame(frame));
        for (const frame of frames) socket.sendRaw(frame);
        sent += frames.length;
        return { socket, expected: frames.length };
      }),
    );
    const oversize = await Promise.all(
      Array.from({ length: OVERSIZE_CONNECTIONS }, async (_, index) => {
        const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
        socket.sendRaw(index % 2 === 0 ? " ".repeat(MAX_FRAME + 1) : Buffer.alloc(MAX_FRAME * 3, 0x20));
        sent++;
        return socket;
      }),
    );
    const bodies = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 60 }).map((text) => ({ body: `{${text}`, headers: {} })),
        fc.anything().map((value) => ({ body: JSON.stringify({ events: value }) ?? "", headers: {} })),
        fc.constant({ body: JSON.stringify({ events: events(1_001) }), headers: {} }),
        fc.constant({ body: " ".repeat(65_537), headers: {} }),
        fc.constant({ body: gzipSync(" ".repeat(200_000)), headers: { "content-encoding": "gzip" } }),
        fc.constant({ body: "not gzip", headers: { "content-encoding": "gzip" } }),
        fc.constant({ body: "{}", headers: { "content-encoding": "compress" } }),
      ),
      { numRuns: HTTP_BODIES, seed: 7 },
    ).filter(({ body }) => {
      try {
        const parsed = JSON.parse(typeof body === "string" ? body : "") as { events?: unknown };
        return !(Array.isArray(parsed.events) && parsed.events.length <= 1_000);
      } catch {
        return true;
      }
    });
    for (let start = 0; start < bodies.length; start += 50) {
      const answers = await Promise.all(
        bodies.slice(start, start + 50).map(async ({ body, headers }) => {
          const response = await fetch(`${hub.url}/api/v1/events/batch`, {
            method: "POST",
            headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json", ...headers },
            body,
          });
          return { status: response.status, json: (await response.json()) };
        }),
      );
      for (const answer of answers) {
        expect([400, 413]).toContain(answer.status);
        expect(errorResponseCodec.decode(answer.json).ok).toBe(true);
      }
      sent += answers.length;
    }

    for (const { socket, expected } of connections) {
      await vi.waitFor(() => expect(socket.frames.length).toBe(expected), { timeout: 30_000 });
      for (const frame of socket.frames) {
        expect(hubFrameCodec.decode(frame).ok).toBe(true);
        expect(frame.type === "error" || (frame.type === "ack" && frame.results.every((result) => result.status === "rejected"))).toBe(true);
      }
      expect(socket.closeInfo).toBeUndefined();
    }
    for (const socket of oversize) {
      expect((await socket.closed).code).toBe(CLOSE_CODES.frameTooLarge);
    }
    expect(oversize.filter((socket) => socket.of("error")[0]?.code === "frame_too_large").length).toBe(OVERSIZE_CONNECTIONS / 2);

    await healthyAcks;
    await vi.waitFor(() => expect(subscriber.of("message").length).toBe(500), { timeout: 30_000 });
    expect(subscriber.of("message").map((message) => message.event.event_id)).toEqual(healthyEvents.map((item) => item.event_id));
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    expect(sent).toBeGreaterThanOrEqual(10_000);
  });
});
