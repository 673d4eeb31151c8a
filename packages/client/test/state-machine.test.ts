/**
 * The client's rules with a scripted transport, so each case is exact: what it asks
 * the hub for after a gap, a reset, a reconnect; which closes end it and which it
 * retries; what happens to a publish whose connection drops.
 */
import { DEFAULT_LIMITS, type HubFrame } from "@events/schema";
import { describe, expect, it } from "vitest";
import { EventsClient, type ClientError, type StateChange } from "../src/index.js";
import type { OpenInfo, SubscribeRequest, TransportFactory, TransportHandlers, TransportKind } from "../src/transport/transport.js";
import { envelope } from "./helpers/envelopes.js";
import { until } from "./helpers/hub.js";

const INFO: OpenInfo = { limits: DEFAULT_LIMITS, heartbeatMs: 15_000, lamportClock: 3, nodeId: "n1", hubVersion: "0.1.0" };

interface Scripted {
  readonly kind: TransportKind;
  readonly handlers: TransportHandlers;
  readonly subscribes: SubscribeRequest[];
  readonly unsubscribes: string[];
  readonly publishes: { ref: string; events: readonly string[] }[];
  closedBy: { code: number; reason: string } | undefined;
}

function scripted(kind: TransportKind = "websocket"): { factory: TransportFactory; made: Scripted[] } {
  const made: Scripted[] = [];
  const factory: TransportFactory = (_config, handlers) => {
    const transport: Scripted = { kind, handlers, subscribes: [], unsubscribes: [], publishes: [], closedBy: undefined };
    made.push(transport);
    return {
      kind,
      subscribe: (request) => void transport.subscribes.push(request),
      unsubscribe: (sub) => void transport.unsubscribes.push(sub),
      publish: (ref, events) => void transport.publishes.push({ ref, events }),
      close: (code, reason) => {
        transport.closedBy = { code, reason };
        handlers.closed(code, reason);
      },
    };
  };
  return { factory, made };
}

const P = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const Q = "0b6f3d2a-9c1e-4f5a-8b7d-1e2f3a4b5c6d";

function message(sub: string, seq: number, stream = P): HubFrame {
  return { type: "message", sub, stream, seq, channel: "events", event: envelope({ project_uuid: stream === "-" ? null : stream }) };
}

function subscribed(sub: string, position: string): HubFrame {
  return { type: "subscribed", sub, position };
}

function setup(options: { sse?: TransportFactory; transport?: "websocket" | "sse" | "auto" } = {}) {
  const { factory, made } = scripted();
  const client = new EventsClient({ url: "http://hub.test", token: "t", webSocket: factory, sse: options.sse, transport: options.transport ?? "websocket", backoff: { minDelayMs: 1, maxDelayMs: 2 } });
  const states: StateChange[] = [];
  client.on("state", (change) => states.push(change));
  const last = (): Scripted => made.at(-1) as Scripted;
  return { client, made, last, states };
}

describe("the client's rules", () => {
  it("after a gap it asks again from the whole position (every stream), and drops what comes before the new subscribed", () => {
    const { client, last } = setup();
    const seen: string[] = [];
    const gaps: unknown[] = [];
    const sub = client.subscribe("events", { since: "" });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    sub.on("gap", (gap) => gaps.push(gap));
    client.connect();
    last().handlers.opened(INFO);
    const first = last().subscribes[0] as SubscribeRequest;
    expect(first).toMatchObject({ channel: "events", since: "" });
    last().handlers.frame(subscribed(first.sub, ""));
    for (const seq of [1, 2, 3]) last().handlers.frame(message(first.sub, seq));
    last().handlers.frame(message(first.sub, 1, "-"));
    last().handlers.frame({ type: "gap", sub: first.sub, stream: P, from_seq: 3, to_seq: 6, reason: "slow_consumer" });
    const second = last().subscribes[1] as SubscribeRequest;
    expect(second.since).toBe(`-:1,${P}:3`);
    expect(second.sub).not.toBe(first.sub);
    expect(last().unsubscribes).toEqual([first.sub]);
    // Late frames of the old subscription, and of the new one before its `subscribed`, are replayed anyway.
    last().handlers.frame(message(first.sub, 7));
    last().handlers.frame(message(second.sub, 7));
    expect(sub.state).toBe("subscribing");
    last().handlers.frame(subscribed(second.sub, `-:1,${P}:3`));
    for (const seq of [3, 4, 5, 6, 7]) last().handlers.frame(message(second.sub, seq));
    last().handlers.frame(message(second.sub, 2, "-"));
    expect(seen).toEqual([`${P}:1`, `${P}:2`, `${P}:3`, "-:1", `${P}:4`, `${P}:5`, `${P}:6`, `${P}:7`, "-:2"]);
    expect(gaps).toEqual([{ stream: P, fromSeq: 3, toSeq: 6 }]);
    expect(sub.position).toBe(`-:2,${P}:7`);
    expect(sub.positions).toEqual(new Map([["-", 2], [P, 7]]));
  });

  it("drops a seq at or below its stream's position, whatever the other streams' positions are", () => {
    const { client, last } = setup();
    const seen: string[] = [];
    const sub = client.subscribe(undefined, { since: `${Q}:5` });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    client.connect();
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    last().handlers.frame(subscribed(wire, `${Q}:5`));
    for (const [stream, seq] of [[Q, 4], [Q, 5], [P, 1], [Q, 6], [P, 1], [P, 2], [Q, 6], ["-", 1]] as const) last().handlers.frame(message(wire, seq, stream));
    expect(seen).toEqual([`${P}:1`, `${Q}:6`, `${P}:2`, "-:1"]);
    expect(sub.position).toBe(`-:1,${Q}:6,${P}:2`);
  });

  it("takes the hub's subscribed position as its own, even below what it asked (the hub knows what it can serve)", () => {
    const { client, last } = setup();
    const announced: unknown[] = [];
    const sub = client.subscribe("events", { since: `${P}:10` });
    sub.on("subscribed", (info) => announced.push(info));
    client.connect();
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    last().handlers.frame(subscribed(wire, `-:4,${P}:8`));
    expect(sub.position).toBe(`-:4,${P}:8`);
    expect(announced).toEqual([{ position: `-:4,${P}:8` }]);
    const seqs: number[] = [];
    sub.on("event", (delivery) => seqs.push(delivery.seq));
    last().handlers.frame(message(wire, 9));
    expect(seqs).toEqual([9]);
  });

  it("passes a protocol-1 seq through as it is until the hub's subscribed translates it, and asks with the token after", async () => {
    const { client, last, made } = setup();
    const sub = client.subscribe("events", { since: 120 });
    expect(sub.position).toBe(120);
    expect(sub.positions.size).toBe(0);
    client.connect();
    last().handlers.opened(INFO);
    expect(last().subscribes[0]?.since).toBe(120);
    // Dropped before it was translated: asked as the same number again.
    last().handlers.closed(1006, "");
    await until(() => made.length === 2, "the reconnect");
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    expect(last().subscribes[0]?.since).toBe(120);
    last().handlers.frame(subscribed(wire, `-:20,${P}:100`));
    last().handlers.frame(message(wire, 101));
    expect(sub.position).toBe(`-:20,${P}:101`);
    last().handlers.closed(1006, "");
    await until(() => made.length === 3, "the second reconnect");
    last().handlers.opened(INFO);
    expect(last().subscribes[0]?.since).toBe(`-:20,${P}:101`);
  });

  it.each([
    ["a malformed token", "spec-kitty:3"],
    ["a stream named twice", "-:1,-:2"],
    ["a negative seq", -1],
    ["a fraction", 1.5],
  ])("refuses %s as since with a RangeError", (_what, since) => {
    const { client } = setup();
    expect(() => client.subscribe("events", { since })).toThrow(RangeError);
  });

  it("a reset moves the whole position to where the hub continues (position_ahead: a new store)", () => {
    const { client, last } = setup();
    const seen: string[] = [];
    const resets: unknown[] = [];
    const sub = client.subscribe(undefined, { since: `-:7,${P}:500` });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    sub.on("reset", (reset) => resets.push(reset));
    client.connect();
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    last().handlers.frame(subscribed(wire, `-:7,${P}:2`));
    last().handlers.frame({ type: "reset", sub: wire, reason: "position_ahead", streams: [P], position: `-:7,${P}:2`, message: "the hub's newest is 2" });
    last().handlers.frame(message(wire, 3));
    last().handlers.frame(message(wire, 7, "-"));
    last().handlers.frame(message(wire, 8, "-"));
    expect(resets).toEqual([{ reason: "position_ahead", streams: [P], position: `-:7,${P}:2`, message: "the hub's newest is 2" }]);
    expect(seen).toEqual([`${P}:3`, "-:8"]);
    expect(sub.position).toBe(`-:8,${P}:3`);
  });

  it("a live-only subscription resumes after a reconnect from where it started, not from the new head", async () => {
    const { client, last, made } = setup();
    const seqs: number[] = [];
    const sub = client.subscribe("tasks");
    sub.on("event", (delivery) => seqs.push(delivery.seq));
    client.connect();
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    expect(last().subscribes[0]?.since).toBeUndefined();
    expect(sub.position).toBeUndefined();
    last().handlers.frame(subscribed(wire, `-:3,${P}:40`));
    last().handlers.frame(message(wire, 41));
    last().handlers.closed(1006, "");
    await until(() => made.length === 2, "the reconnect");
    last().handlers.opened(INFO);
    // A stream that had nothing when it subscribed (Q) is not named: the hub reads it from its start.
    expect(last().subscribes[0]).toMatchObject({ channel: "tasks", since: `-:3,${P}:41` });
    expect(seqs).toEqual([41]);
  });

  it.each([
    [4401, "unauthorized"],
    [4403, "forbidden"],
    [1002, "bad_protocol"],
  ] as const)("close %i ends in disconnected/%s and never retries", async (code, reason) => {
    const { client, last, made, states } = setup();
    client.connect();
    last().handlers.opened(INFO);
    last().handlers.closed(code, "no");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(made).toHaveLength(1);
    expect(states.at(-1)).toMatchObject({ state: "disconnected", reason, code });
    await expect(client.publish([envelope()])).rejects.toMatchObject({ code: "disconnected", retryable: false });
  });

  it.each([
    [1001, "hub_going_away"],
    [4429, "slow_consumer"],
    [4408, "no_heartbeat"],
    [1006, "transport_closed"],
    [1011, "transport_closed"],
  ] as const)("close %i is retried as connecting/%s with a backoff delay", async (code, reason) => {
    const { client, last, made, states } = setup();
    client.connect();
    last().handlers.opened(INFO);
    last().handlers.closed(code, "");
    expect(states.at(-1)).toMatchObject({ state: "connecting", reason, code, previous: "connected" });
    expect(typeof states.at(-1)?.delayMs).toBe("number");
    await until(() => made.length === 2, "the next attempt");
  });

  it("a publish waits for the connection; one whose connection drops before its ack fails as retryable transport_closed", async () => {
    const { client, last } = setup();
    client.connect();
    const early = client.publish([envelope(), JSON.stringify(envelope())]);
    expect(last().publishes).toHaveLength(0);
    last().handlers.opened(INFO);
    expect(last().publishes).toHaveLength(1);
    const ref = last().publishes[0]?.ref as string;
    last().handlers.frame({ type: "ack", ref, lamport_clock: 9, results: [{ status: "accepted", event_id: "a", stream: P, seq: 1 }, { status: "duplicate", event_id: "b", stream: "-", seq: 2 }] });
    expect((await early).results.map((result) => result.status)).toEqual(["accepted", "duplicate"]);
    expect(client.connection?.lamportClock).toBe(9);

    const dropped = client.publish([envelope()]);
    last().handlers.closed(1006, "cut");
    await expect(dropped).rejects.toMatchObject({ code: "transport_closed", retryable: true });
  });

  it("an error frame for a publish rejects it with the hub's code and issues", async () => {
    const { client, last } = setup();
    client.connect();
    last().handlers.opened(INFO);
    const refused = client.publish([envelope()]);
    last().handlers.frame({ type: "error", ref: last().publishes[0]?.ref as string, code: "storage_full", message: "full" });
    const error = (await refused.catch((caught: unknown) => caught)) as ClientError;
    expect([error.code, error.retryable, error.message]).toEqual(["storage_full", true, "full"]);
  });

  it("a publish with no ack in time rejects with timeout", async () => {
    const { client, last } = setup();
    client.connect();
    last().handlers.opened(INFO);
    await expect(client.publish([envelope()], { timeoutMs: 20 })).rejects.toMatchObject({ code: "timeout", retryable: true });
  });

  it("an SSE stream that reached its lifetime is opened again alone, from its position", () => {
    const { client, last } = setup();
    const sub = client.subscribe("events", { since: "" });
    client.connect();
    last().handlers.opened(INFO);
    const wire = (last().subscribes[0] as SubscribeRequest).sub;
    last().handlers.frame(subscribed(wire, ""));
    last().handlers.frame(message(wire, 1));
    last().handlers.expired(wire);
    expect(last().subscribes[1]).toMatchObject({ channel: "events", since: `${P}:1` });
    expect(sub.state).toBe("subscribing");
    expect(client.state).toBe("connected");
  });

  it("auto falls back to SSE after two WebSocket attempts that never opened, and tries the WebSocket first again once SSE is lost", async () => {
    const sse = scripted("sse");
    const { client, made } = setup({ sse: sse.factory, transport: "auto" });
    const kinds: string[] = [];
    client.on("attempt", (attempt) => kinds.push(attempt.transport));
    client.connect();
    made.at(-1)?.handlers.closed(1006, "refused");
    await until(() => made.length === 2, "the second attempt");
    made.at(-1)?.handlers.closed(1006, "refused");
    await until(() => sse.made.length === 1, "the SSE attempt");
    sse.made[0]?.handlers.opened(INFO);
    expect(client.transport).toBe("sse");
    sse.made[0]?.handlers.closed(1006, "cut");
    await until(() => kinds.length === 4, "the attempt after SSE dropped");
    expect(kinds).toEqual(["websocket", "websocket", "sse", "websocket"]);
    // A hub that is down (every transport fails) keeps going round: WebSocket twice, then SSE.
    made.at(-1)?.handlers.closed(1006, "refused");
    await until(() => kinds.length === 5, "the next attempt");
    made.at(-1)?.handlers.closed(1006, "refused");
    await until(() => sse.made.length === 2, "SSE again");
    sse.made[1]?.handlers.closed(1006, "refused");
    await until(() => kinds.length === 7, "the WebSocket after the failed SSE");
    expect(kinds).toEqual(["websocket", "websocket", "sse", "websocket", "websocket", "sse", "websocket"]);
  });

  it("reconnectNow skips the backoff wait; disconnect keeps subscriptions for the next connect", () => {
    const { factory, made } = scripted();
    const client = new EventsClient({ url: "http://hub.test", webSocket: factory, transport: "websocket", backoff: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const sub = client.subscribe("events", { since: `${P}:5` });
    client.connect();
    made[0]?.handlers.closed(1006, "");
    expect(made).toHaveLength(1);
    client.reconnectNow();
    expect(made).toHaveLength(2);
    made[1]?.handlers.opened(INFO);
    client.disconnect();
    expect(made[1]?.closedBy?.code).toBe(1000);
    expect(client.state).toBe("disconnected");
    client.connect();
    made[2]?.handlers.opened(INFO);
    expect(made[2]?.subscribes[0]).toMatchObject({ since: `${P}:5` });
    expect(sub.active).toBe(true);
  });

  it("a frame it cannot read is counted as malformed; a connection-level error is an error event; neither throws", () => {
    const { client, last } = setup();
    const counts: number[] = [];
    const errors: ClientError[] = [];
    client.on("malformed", ({ count }) => counts.push(count));
    client.on("error", (error) => errors.push(error));
    client.connect();
    last().handlers.opened(INFO);
    last().handlers.malformed();
    last().handlers.malformed();
    last().handlers.frame({ type: "error", code: "bad_frame", message: "not a valid frame" });
    expect(counts).toEqual([1, 2]);
    expect(errors.map((error) => [error.code, error.message])).toEqual([["bad_frame", "not a valid frame"]]);
    expect(client.state).toBe("connected");
  });
});

describe("disconnect from a state listener", () => {
  it("cancels the retry the state change announced", async () => {
    const { factory, made } = scripted();
    const client = new EventsClient({ url: "http://hub.test", webSocket: factory, transport: "websocket", backoff: { minDelayMs: 20, maxDelayMs: 20 } });
    client.on("state", (change) => {
      if (change.state === "connecting" && change.reason === "transport_closed") client.disconnect();
    });
    client.connect();
    made[0]?.handlers.closed(1006, "refused");
    expect(client.state).toBe("disconnected");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(made).toHaveLength(1);
  });
});
