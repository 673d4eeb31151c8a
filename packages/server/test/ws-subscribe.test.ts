import { describe, expect, it, vi } from "vitest";
import { envelopeCodec, hubFrameCodec } from "@events/schema";
import { event, events, machineEvent, PROJECT_A, PROJECT_B, sessionEvent } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

describe("WebSocket subscribe (/api/v1/ws)", () => {
  it("delivers live message frames carrying stream, seq, channel and the stored envelope", async () => {
    const hub = await testHub();
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "live" });
    const subscribed = await reader.next("subscribed");
    expect(subscribed).toEqual({ type: "subscribed", sub: "live", position: "" });
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const sent = event({ project_uuid: PROJECT_A });
    const ack = await writer.publish([sent]);
    const message = await reader.next("message");
    expect(hubFrameCodec.decode(message).ok).toBe(true);
    expect(message.sub).toBe("live");
    expect(ack.results[0]).toEqual({ status: "accepted", event_id: sent.event_id, stream: PROJECT_A, seq: 1 });
    expect([message.stream, message.seq]).toEqual([PROJECT_A, 1]);
    expect(reader.raw.at(-1)).toMatch(/^\{"type":"message","stream":"[^"]+","seq":1,"channel":"events","event":/);
    expect(message.channel).toBe("events");
    const canonical = envelopeCodec.decode(sent);
    expect(canonical.ok && message.event).toEqual(canonical.ok && canonical.value);
  });

  it("replays from since, then goes live with no gap and no duplicate", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const before = [...(await writer.publish(events(600))).results, ...(await writer.publish(events(600))).results];
    const seqs = before.map((result) => (result as { seq: number }).seq);
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    expect(seqs).toEqual(Array.from({ length: 1200 }, (_, index) => index + 1));
    reader.send({ type: "subscribe", sub: "r", since: `-:${seqs[99]!}` });
    // Publish while the replay runs: these must arrive once, after the history.
    const during = Promise.all([writer.publish(events(50)), writer.publish(events(50))]);
    await during;
    const expected = 1200 - 100 + 100;
    await reader.next("message", () => reader.of("message").length >= expected);
    const received = reader.of("message").map((message) => message.seq);
    expect(received.length).toBe(expected);
    expect(received[0]).toBe(seqs[100]);
    expect([...received].sort((a, b) => a - b)).toEqual(received);
    expect(new Set(received).size).toBe(received.length);
    expect(reader.of("subscribed")[0]).toMatchObject({ position: `-:${seqs[99]!}` });
  });

  it.each(["sessions", "foo:*", "event", "session:", "machine:a\u0000b", ":*"])(
    "answers a subscribe to the unknown channel %j with an unknown_channel error naming it, not subscribed",
    async (channel) => {
      const hub = await testHub();
      const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
      reader.send({ type: "subscribe", sub: "bad", channel });
      const error = await reader.next("error");
      expect(hubFrameCodec.decode(error).ok).toBe(true);
      expect(error).toMatchObject({ code: "unknown_channel", sub: "bad", channel });
      expect(error.message).toContain(JSON.stringify(channel));
      expect(error.message).toContain("session:<id>");
      // The connection goes on: a known channel on it is served.
      reader.send({ type: "subscribe", sub: "good", channel: "events" });
      await reader.next("subscribed", (frame) => frame.sub === "good");
      expect(reader.of("subscribed").map((frame) => frame.sub)).toEqual(["good"]);
    },
  );

  it.each(["events", "tasks", "problems", "session:s1", "machine:worker-1", "session:*", "machine:*", "*"])(
    "subscribes to the known channel %j",
    async (channel) => {
      const hub = await testHub();
      const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
      reader.send({ type: "subscribe", sub: "ok", channel });
      await reader.next("subscribed");
      expect(reader.of("error")).toEqual([]);
    },
  );

  it("filters by channel (and prefix patterns) and by project", async () => {
    const hub = await testHub();
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "machines", channel: "machine:*" });
    reader.send({ type: "subscribe", sub: "b", project: PROJECT_B });
    reader.send({ type: "subscribe", sub: "session", channel: "session:s9" });
    await reader.next("subscribed", (frame) => frame.sub === "session");
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await writer.publish([
      event({ project_uuid: PROJECT_A }),
      machineEvent("worker"),
      event({ project_uuid: PROJECT_B }),
      sessionEvent("s9", { kind: "phase", phase: "p", at: "2026-11-20T10:00:00Z" }),
    ]);
    await reader.next("message", (message) => message.sub === "session");
    await reader.next("message", (message) => message.sub === "b");
    await reader.next("message", (message) => message.sub === "machines");
    const bySub = (sub: string) => reader.of("message").filter((message) => message.sub === sub).map((message) => message.channel);
    expect(bySub("machines")).toEqual(["machine:worker"]);
    expect(bySub("b")).toEqual(["events"]);
    expect(bySub("session")).toEqual(["session:s9"]);
  });

  it("sends reset when the position is ahead of the hub, and when it was pruned", async () => {
    const hub = await testHub({ retainEvents: 5 });
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const ack = await writer.publish(events(10));
    const seqs = ack.results.map((result) => (result as { seq: number }).seq);
    const ahead = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    ahead.send({ type: "subscribe", sub: "a", since: "-:10000" });
    expect(await ahead.next("subscribed")).toMatchObject({ sub: "a", position: "-:10" });
    const aheadReset = await ahead.next("reset");
    expect(aheadReset).toMatchObject({ sub: "a", reason: "position_ahead", streams: ["-"], position: "-:10" });
    expect(hubFrameCodec.decode(aheadReset).ok).toBe(true);
    expect(await hub.hub.prune()).toBe(5);
    const late = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    late.send({ type: "subscribe", sub: "l", since: "-:1" });
    const reset = await late.next("reset");
    expect(reset).toMatchObject({ sub: "l", reason: "position_unavailable", streams: ["-"], position: "-:5" });
    expect(reset.message).toContain("-:5");
    await late.next("message", () => late.of("message").length === 5);
    expect(late.of("message").map((message) => message.seq)).toEqual(seqs.slice(5));
    const fine = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    fine.send({ type: "subscribe", sub: "f", since: `-:${seqs[6]!}` });
    await fine.next("message", () => fine.of("message").length === 3);
    expect(fine.of("reset")).toEqual([]);
  });

  it("answers unsubscribe with unsubscribed, stops delivering, and answers an unknown one with not_found", async () => {
    const hub = await testHub();
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "x" });
    reader.send({ type: "subscribe", sub: "y" });
    await reader.next("subscribed", (frame) => frame.sub === "y");
    reader.send({ type: "unsubscribe", sub: "x" });
    reader.send({ type: "unsubscribe", sub: "nope" });
    expect((await reader.next("error")).code).toBe("not_found");
    const unsubscribed = await reader.next("unsubscribed");
    expect(unsubscribed).toEqual({ type: "unsubscribed", sub: "x" });
    expect(hubFrameCodec.decode(unsubscribed).ok).toBe(true);
    // Only a subscription that was there is confirmed, once; a refused `nope` is not.
    expect(reader.of("unsubscribed")).toEqual([unsubscribed]);
    // Replacing a subscription (the same sub again) is not an unsubscribe.
    reader.send({ type: "subscribe", sub: "y" });
    await reader.next("subscribed", () => reader.of("subscribed").filter((frame) => frame.sub === "y").length === 2);
    expect(reader.of("unsubscribed")).toEqual([unsubscribed]);
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await writer.publish(events(3));
    await reader.next("message", () => reader.of("message").length === 3);
    expect(new Set(reader.of("message").map((message) => message.sub))).toEqual(new Set(["y"]));
  });

  it("refuses the 65th subscription on a connection with an error naming its sub and channel; the 64 stay", async () => {
    const hub = await testHub();
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    for (let i = 1; i <= 64; i++) reader.send({ type: "subscribe", sub: `s${i}`, channel: "tasks" });
    await reader.next("subscribed", () => reader.of("subscribed").length === 64);
    reader.send({ type: "subscribe", sub: "s65", channel: "tasks" });
    reader.send({ type: "subscribe", sub: "all" });
    const refusals = await vi.waitFor(() => {
      const errors = reader.of("error");
      if (errors.length < 2) throw new Error("waiting for both refusals");
      return errors;
    });
    expect(refusals[0]).toEqual({
      type: "error",
      code: "bad_request",
      sub: "s65",
      channel: "tasks",
      message: "at most 64 subscriptions per connection; unsubscribe one first",
    });
    expect(refusals.every((frame) => hubFrameCodec.decode(frame).ok)).toBe(true);
    // Without a channel, none is named.
    expect(refusals[1]).toMatchObject({ code: "bad_request", sub: "all" });
    expect(refusals[1]).not.toHaveProperty("channel");
    // Re-subscribing one of the 64 replaces it; unsubscribing one makes room.
    reader.send({ type: "subscribe", sub: "s1", channel: "tasks" });
    reader.send({ type: "unsubscribe", sub: "s2" });
    reader.send({ type: "subscribe", sub: "s65", channel: "tasks" });
    await reader.next("subscribed", (frame) => frame.sub === "s65");
    expect(reader.of("error")).toHaveLength(2);
  });
});
