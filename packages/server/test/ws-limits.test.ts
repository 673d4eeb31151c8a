import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "@events/schema";
import { events, padJson, sizedEvent } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const LIMITS = { max_frame_bytes: 8_192, max_events_per_batch: 5, max_event_bytes: 2_048 };

describe("WebSocket limits, each at its edge", () => {
  it("takes a frame of exactly max_frame_bytes; answers one byte more with frame_too_large and closes 1009", async () => {
    const hub = await testHub({ limits: LIMITS });
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    socket.sendRaw(padJson({ type: "publish", ref: "edge", events: events(2) }, 8_192));
    expect((await socket.next("ack", (ack) => ack.ref === "edge")).results.length).toBe(2);
    socket.sendRaw(padJson({ type: "publish", ref: "over", events: events(2) }, 8_193));
    const error = await socket.next("error");
    expect(error.code).toBe("frame_too_large");
    expect(error.message).toContain("8192");
    const closed = await socket.closed;
    expect(closed).toEqual({ code: CLOSE_CODES.frameTooLarge, reason: "max_frame_bytes=8192" });
  });

  it("closes with 1009 a frame far past the limit without buffering it", async () => {
    const hub = await testHub({ limits: LIMITS });
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    socket.sendRaw(Buffer.alloc(100_000, 32));
    expect((await socket.closed).code).toBe(CLOSE_CODES.frameTooLarge);
  });

  it("takes exactly max_events_per_batch events; answers one more with batch_too_large and stays open", async () => {
    const hub = await testHub({ limits: LIMITS });
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    expect((await socket.publish(events(5))).results.every((result) => result.status === "accepted")).toBe(true);
    socket.send({ type: "publish", ref: "six", events: events(6) });
    const error = await socket.next("error", (frame) => frame.ref === "six");
    expect(error.code).toBe("batch_too_large");
    expect(error.message).toContain("max_events_per_batch 5");
    expect((await socket.publish(events(1))).results[0]?.status).toBe("accepted");
  });

  it("accepts an event of exactly max_event_bytes and rejects one byte more, alone", async () => {
    const hub = await testHub({ limits: LIMITS });
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const ack = await socket.publish([sizedEvent(2_048), sizedEvent(2_049), ...events(1)]);
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "rejected", "accepted"]);
  });
});
