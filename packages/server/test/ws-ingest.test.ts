import { describe, expect, it } from "vitest";
import { CLOSE_CODES, PROTOCOL_VERSION, hubFrameCodec } from "@events/schema";
import { event, events, PROJECT_A } from "./helpers/envelopes.js";
import { projectToken, testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

describe("WebSocket ingest (/api/v1/ws)", () => {
  it("answers hello with a welcome that advertises the limits", async () => {
    const hub = await testHub({ limits: { max_events_per_batch: 7 } });
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    const welcome = await socket.hello(hub.admin);
    expect(hubFrameCodec.decode(welcome).ok).toBe(true);
    expect(welcome.limits.max_events_per_batch).toBe(7);
    expect(welcome.protocol).toBe(PROTOCOL_VERSION);
    expect(welcome).not.toHaveProperty("head_seq");
    const limits = (await (await fetch(`${hub.url}/api/v1/limits`)).json()) as Record<string, number>;
    expect(limits).toEqual(welcome.limits);
  });

  it("acks each event of a publish frame: accepted with its stream and seq, duplicate, rejected with issues", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const [first, second] = events(2);
    const bad = { ...event(), lamport_clock: 0 };
    const ack = await socket.publish([first, second, bad, first]);
    expect(hubFrameCodec.decode(ack).ok).toBe(true);
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "accepted", "rejected", "duplicate"]);
    const [a, b, c, d] = ack.results;
    if (a?.status !== "accepted" || b?.status !== "accepted" || c?.status !== "rejected" || d?.status !== "duplicate") throw new Error("shape");
    expect([a.stream, a.seq, b.stream, b.seq]).toEqual(["-", 1, "-", 2]);
    expect([d.stream, d.seq]).toEqual(["-", a.seq]);
    expect(c.index).toBe(2);
    expect(c.event_id).toBe(bad.event_id);
    expect(c.issues[0]?.path).toBe("/lamport_clock");
    const again = await socket.publish([second]);
    expect(again.results[0]).toEqual({ status: "duplicate", event_id: second!.event_id, stream: "-", seq: b.seq });
    const inA = await socket.publish([event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_A })]);
    expect(inA.results.map((result) => result.status !== "rejected" && `${result.stream}:${result.seq}`)).toEqual([`${PROJECT_A}:1`, `${PROJECT_A}:2`]);
    expect(again.lamport_clock).toBeGreaterThanOrEqual(second!.lamport_clock);
  });

  it("answers per event even when some events are not objects", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const ack = await socket.publish([7, event(), "no", [1]]);
    expect(ack.results.map((result) => result.status)).toEqual(["rejected", "accepted", "rejected", "rejected"]);
    socket.send({ type: "publish", ref: "r", events: [1], extra: true });
    expect((await socket.next("error")).code).toBe("bad_frame");
  });

  it("takes the token from hello when the client cannot set headers", async () => {
    const hub = await testHub();
    const token = await projectToken(hub, PROJECT_A);
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    await socket.hello(token);
    const ack = await socket.publish([event({ project_uuid: PROJECT_A })]);
    expect(ack.results[0]?.status).toBe("accepted");
  });

  it("closes with 4401 without a token, or with an unknown one", async () => {
    const hub = await testHub();
    const anonymous = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    anonymous.send({ type: "hello", protocol: PROTOCOL_VERSION });
    expect((await anonymous.closed).code).toBe(CLOSE_CODES.unauthenticated);
    const unknown = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: "evt_not-a-token" });
    expect((await unknown.closed).code).toBe(CLOSE_CODES.unauthenticated);
    const publishFirst = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    publishFirst.send({ type: "publish", ref: "r", events: [event()] });
    expect((await publishFirst.closed).code).toBe(CLOSE_CODES.unauthenticated);
  });

  it("answers ping with pong", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    socket.send({ type: "ping", ts: 42 });
    expect(await socket.next("pong")).toEqual({ type: "pong", ts: 42 });
  });
});
