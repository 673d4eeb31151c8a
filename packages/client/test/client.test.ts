/**
 * The client against a real hub, over each transport: subscribe from a position
 * (a token over several streams, or a protocol-1 seq), live delivery, publish
 * answered per event with its stream, typed refusals, the documented state sequence,
 * and the async iterator's bounded buffer.
 */
import { describe, expect, it } from "vitest";
import { createClient, ClientError, type Delivery, type StateChange, type EventsClient } from "../src/node.js";
import { envelope, envelopes } from "./helpers/envelopes.js";
import { testHub, until } from "./helpers/hub.js";

const PROJECT = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const OTHER = "0b7e9c1d-2f3a-4b5c-8d6e-7f8091a2b3c4";

describe.each(["websocket", "sse"] as const)("over %s", (transport) => {
  function client(url: string, token: string, extra: { name?: string } = {}): EventsClient {
    return createClient({ url, token, transport, backoff: { minDelayMs: 20, maxDelayMs: 200 }, ...extra });
  }

  it("replays every stream from the empty token, then delivers live events, each once and in seq order per stream", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    const first = await publisher.publish([...envelopes(3), ...envelopes(2, { project_uuid: PROJECT })]);
    expect(first.results.map((result) => result.status)).toEqual(Array(5).fill("accepted"));
    expect(first.results.map((result) => (result.status === "rejected" ? undefined : `${result.stream}:${result.seq}`))).toEqual(["-:1", "-:2", "-:3", `${PROJECT}:1`, `${PROJECT}:2`]);

    const reader = client(hub.url, hub.admin);
    const seen: Delivery[] = [];
    const sub = reader.subscribe("events", { since: "" });
    sub.on("event", (delivery) => seen.push(delivery));
    reader.connect();
    await until(() => seen.length === 5, "the replay");
    await publisher.publish([...envelopes(1, { project_uuid: PROJECT }), ...envelopes(2)]);
    await until(() => seen.length === 8, "the live events");
    const inStream = (stream: string) => seen.filter((delivery) => delivery.stream === stream).map((delivery) => delivery.seq);
    expect(inStream("-")).toEqual([1, 2, 3, 4, 5]);
    expect(inStream(PROJECT)).toEqual([1, 2, 3]);
    expect(seen.every((delivery) => delivery.channel === "events" && delivery.event.event_type === "WPAssigned")).toBe(true);
    expect(sub.position).toBe(`-:5,${PROJECT}:3`);
    expect(sub.positions).toEqual(new Map([["-", 5], [PROJECT, 3]]));
    expect(sub.state).toBe("subscribed");
    reader.disconnect();
    publisher.disconnect();
  });

  it("resumes from a token: only what follows it in each stream it names, every event of a stream it does not name", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish([...envelopes(4), ...envelopes(3, { project_uuid: PROJECT }), ...envelopes(2, { project_uuid: OTHER })]);
    const reader = client(hub.url, hub.admin);
    const seen: string[] = [];
    const sub = reader.subscribe("events", { since: `-:3,${PROJECT}:1` });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    reader.connect();
    await until(() => seen.length === 5, "the replay");
    expect(seen.sort()).toEqual([`-:4`, `${OTHER}:1`, `${OTHER}:2`, `${PROJECT}:2`, `${PROJECT}:3`].sort());
    expect(sub.position).toBe(`-:4,${OTHER}:2,${PROJECT}:3`);
    reader.disconnect();
    publisher.disconnect();
  });

  it("a position past a stream's newest event is reset there (position_ahead), naming that stream; the others keep theirs", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish([...envelopes(2, { project_uuid: PROJECT }), ...envelopes(3)]);
    const reader = client(hub.url, hub.admin);
    const seen: string[] = [];
    const resets: unknown[] = [];
    const sub = reader.subscribe("events", { since: `-:1,${PROJECT}:900` });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    sub.on("reset", (reset) => resets.push({ ...reset, message: typeof reset.message }));
    reader.connect();
    await until(() => resets.length === 1 && seen.length === 2, "the reset and the replay of -");
    expect(resets).toEqual([{ reason: "position_ahead", streams: [PROJECT], position: `-:1,${PROJECT}:2`, message: "string" }]);
    await publisher.publish(envelopes(1, { project_uuid: PROJECT }));
    await until(() => seen.length === 3, "the live event after the reset");
    expect(seen).toEqual(["-:2", "-:3", `${PROJECT}:3`]);
    expect(sub.position).toBe(`-:3,${PROJECT}:3`);
    reader.disconnect();
    publisher.disconnect();
  });

  it("a protocol-1 since of 0 is the start of everything: the hub's subscribed makes it a token", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish([...envelopes(2), ...envelopes(1, { project_uuid: PROJECT })]);
    const reader = client(hub.url, hub.admin);
    const seen: string[] = [];
    const sub = reader.subscribe("events", { since: 0 });
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    expect(sub.position).toBe(0);
    reader.connect();
    await until(() => seen.length === 3, "the replay");
    expect(sub.position).toBe(`-:2,${PROJECT}:1`);
    reader.disconnect();
    publisher.disconnect();
  });

  it("without since starts live: only events published after subscribing", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish([...envelopes(4), ...envelopes(1, { project_uuid: PROJECT })]);
    const reader = client(hub.url, hub.admin);
    const seen: string[] = [];
    const sub = reader.subscribe();
    sub.on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    const subscribed = new Promise((resolve) => sub.on("subscribed", resolve));
    reader.connect();
    // Every readable stream's newest seq at that moment.
    expect(await subscribed).toEqual({ position: `-:4,${PROJECT}:1` });
    await publisher.publish([...envelopes(1), ...envelopes(1, { project_uuid: OTHER })]);
    await until(() => seen.length === 2, "the two live events");
    expect(seen.sort()).toEqual(["-:5", `${OTHER}:1`]);
    reader.disconnect();
    publisher.disconnect();
  });

  it("publish answers each event: accepted, duplicate, rejected with its index across split frames", async () => {
    const hub = await testHub({ limits: { max_events_per_batch: 3 } });
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.ready();
    expect(publisher.limits.max_events_per_batch).toBe(3);
    const stored = envelope();
    await publisher.publish([stored]);
    const batch = [...envelopes(3), stored, { ...envelope(), event_type: "NoSuchType" } as never, envelope()];
    const answer = await publisher.publish(batch);
    expect(answer.results.map((result) => result.status)).toEqual(["accepted", "accepted", "accepted", "duplicate", "rejected", "accepted"]);
    expect(answer.results[4]).toMatchObject({ status: "rejected", index: 4 });
    expect(answer.lamportClock).toBeGreaterThan(0);
    publisher.disconnect();
  });

  it("a forbidden channel and an unknown channel are typed errors; the connection stays up", async () => {
    const hub = await testHub();
    const token = await hub.token(PROJECT, ["read"]);
    const reader = client(hub.url, token);
    reader.connect();
    const forbidden = reader.subscribe("events", { project: OTHER });
    const unknown = reader.subscribe("nonsense");
    const fine = reader.subscribe("events", { since: "" });
    const errors = await Promise.all([forbidden, unknown].map((sub) => new Promise<ClientError>((resolve) => sub.on("error", resolve))));
    expect(errors.map((error) => [error.code, error instanceof ClientError, error.retryable])).toEqual([
      ["forbidden", true, false],
      ["unknown_channel", true, false],
    ]);
    expect(errors[1]?.channel).toBe("nonsense");
    expect(forbidden.state).toBe("unsubscribed");
    await until(() => fine.state === "subscribed", "the allowed subscription");
    expect(reader.state).toBe("connected");
    // The iterator of a refused subscription throws the refusal.
    await expect(forbidden[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: "forbidden" });
    reader.disconnect();
  });

  it("a refused token ends in disconnected/unauthorized and does not retry", async () => {
    const hub = await testHub();
    const reader = client(hub.url, "not-a-token");
    const states: StateChange[] = [];
    reader.on("state", (change) => states.push(change));
    reader.subscribe("events");
    reader.connect();
    await expect(reader.ready()).rejects.toMatchObject({ code: "unauthenticated" });
    expect(states.map((change) => `${change.state}:${change.reason}`)).toEqual(["connecting:connect", "disconnected:unauthorized"]);
    expect(states[1]?.code).toBe(4401);
  });

  it("follows the documented states across a hub restart and resumes with nothing missed", async () => {
    const hub = await testHub();
    const reader = client(hub.url, hub.admin);
    const states: string[] = [];
    reader.on("state", (change) => states.push(`${change.state}:${change.reason}`));
    const seen: string[] = [];
    reader.subscribe("events", { since: "" }).on("event", (delivery) => seen.push(`${delivery.stream}:${delivery.seq}`));
    reader.connect();
    await reader.ready();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish([...envelopes(2), ...envelopes(1, { project_uuid: PROJECT })]);
    await until(() => seen.length === 3, "the first events");
    await hub.stop();
    await until(() => reader.state === "connecting", "the client to notice");
    await hub.restart();
    await until(() => publisher.state === "connected", "the publisher to come back");
    await publisher.publish([...envelopes(1, { project_uuid: PROJECT }), ...envelopes(1)]);
    await until(() => seen.length === 5, "the events after the restart");
    expect(seen.sort()).toEqual(["-:1", "-:2", "-:3", `${PROJECT}:1`, `${PROJECT}:2`]);
    reader.disconnect();
    publisher.disconnect();
    expect(states[0]).toBe("connecting:connect");
    expect(states[1]).toBe("connected:connected");
    expect(states[2]).toMatch(/^connecting:(hub_going_away|transport_closed)$/);
    expect(states.at(-2)).toBe("connected:connected");
    expect(states.at(-1)).toBe("disconnected:disconnect");
    expect(states.slice(2, -2).every((state) => state.startsWith("connecting:"))).toBe(true);
  });

  it("for await reads every event through a buffer bounded at maxBuffered, pausing and resuming without gap", async () => {
    const hub = await testHub();
    const publisher = client(hub.url, hub.admin);
    publisher.connect();
    await publisher.publish(envelopes(120));
    const reader = client(hub.url, hub.admin);
    const sub = reader.subscribe("events", { since: "", maxBuffered: 10 });
    const reasons: string[] = [];
    sub.on("state", (change) => reasons.push(change.reason));
    reader.connect();
    const seqs: number[] = [];
    for await (const delivery of sub) {
      seqs.push(delivery.seq);
      if (seqs.length % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      if (seqs.length === 120) break;
    }
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, index) => index + 1));
    expect(reasons).toContain("buffer_full");
    expect(reasons).toContain("buffer_drained");
    reader.disconnect();
    publisher.disconnect();
  });
});
