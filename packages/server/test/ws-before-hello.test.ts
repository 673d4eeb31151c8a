/**
 * What a WebSocket connection without credentials gets before `hello`, as the README
 * says: pongs to pings and error frames for malformed frames (so a client can tell a
 * bad frame from a dead hub), never a welcome or any event; publish and subscribe
 * close it 4401; after `hello` with a token it is a normal connection.
 */
import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "@events/schema";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

describe("a WebSocket connection before hello", () => {
  it("answers ping with pong and a malformed frame with an error frame, and nothing else", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    socket.send({ type: "ping", ts: 7 });
    socket.sendRaw("{not json");
    socket.send({ type: "nope" });
    await socket.next("error", () => socket.of("error").length >= 2);
    expect(socket.frames.map((frame) => frame.type)).toEqual(["pong", "error", "error"]);
    expect(socket.of("pong")[0]).toEqual({ type: "pong", ts: 7 });
    expect(socket.of("error").map((frame) => frame.code)).toEqual(["bad_frame", "unknown_type"]);
    const welcome = await socket.hello(hub.admin);
    expect(welcome.type).toBe("welcome");
  });

  it.each([
    ["publish", { type: "publish", ref: "r1", events: [{ event_id: "x" }] }],
    ["subscribe", { type: "subscribe", sub: "s1" }],
  ])("closes with 4401 on %s", async (_name, frame) => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    socket.send(frame);
    expect((await socket.closed).code).toBe(CLOSE_CODES.unauthenticated);
    expect(socket.frames).toEqual([]);
  });
});
