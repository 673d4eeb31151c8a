/**
 * The broker and its subscribers, driven directly with fake sinks: explicit times
 * instead of timers, exact queue contents instead of sockets.
 */
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, streamOf } from "@events/schema";
import { Broker } from "../src/broker/broker.js";
import type { PublishedBatch } from "../src/broker/published-batch.js";
import { PublishedEvent } from "../src/broker/published-event.js";
import type { Sink } from "../src/broker/sink.js";
import { createLogger } from "../src/logger.js";

class FakeSink implements Sink {
  sent: Buffer[] = [];
  buffered = 0;
  closedWith: { code: number; reason: string } | undefined;
  throwOnSend = false;
  #drain: (() => void)[] = [];
  send(bytes: Buffer): void {
    if (this.throwOnSend) throw new Error("socket exploded");
    this.sent.push(bytes);
  }
  onDrain(listener: () => void): void {
    this.#drain.push(listener);
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
  /** The socket wrote everything out. */
  drain(): void {
    this.buffered = 0;
    for (const listener of this.#drain) listener();
  }
  texts(): string[] {
    return this.sent.map((bytes) => bytes.toString());
  }
}

/** A sink that groups what is sent between cork and the last uncork into one write, as a socket does. */
class CorkingSink extends FakeSink {
  writes: Buffer[][] = [];
  #corked: Buffer[] = [];
  #corks = 0;
  override send(bytes: Buffer): void {
    super.send(bytes);
    if (this.#corks === 0) this.writes.push([bytes]);
    else this.#corked.push(bytes);
  }
  cork(): void {
    this.#corks++;
  }
  uncork(): void {
    if (this.#corks === 0 || --this.#corks > 0) return;
    if (this.#corked.length > 0) this.writes.push(this.#corked);
    this.#corked = [];
  }
}

/** Resolves after the event loop has run its pending immediates once more. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const LIMITS = { queueEvents: 3, queueBytes: 1_000_000, highWaterBytes: 100, sendTimeoutMs: 1_000, slowConsumerGraceMs: 500 };

const A = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const B = "0b7e9c1d-2f3a-4b5c-8d6e-7f8091a2b3c4";

function published(seq: number, channel = "events", project: string | null = null): PublishedEvent {
  return new PublishedEvent({ stream: streamOf(project), seq, eventId: `e${project}${seq}`, project, channel, eventType: "WPAssigned", json: `{"n":${seq},"payload":{"k":${seq}}}` });
}

function wsFramer(sub: string) {
  return {
    event: (event: PublishedEvent) => event.message(sub),
    gap: (stream: string, from: number, to: number) => Buffer.from(JSON.stringify({ type: "gap", sub, stream, from_seq: from, to_seq: to })),
  };
}

/** A WebSocket framer that also frames whole batches, as the hub's does. */
function batchFramer(sub: string) {
  return { event: (event: PublishedEvent) => event.wsFrame(sub), batch: (batch: PublishedBatch) => batch.wsFrames(sub) };
}

/** The JSON messages of the unmasked text frames (payloads under 64 KiB) in `bytes`. */
function wsMessages(bytes: Buffer): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  for (let at = 0; at < bytes.length; ) {
    expect(bytes[at]).toBe(0x81);
    const short = bytes[at + 1]!;
    const [length, header] = short < 126 ? [short, 2] : [bytes.readUInt16BE(at + 2), 4];
    messages.push(JSON.parse(bytes.subarray(at + header, at + header + length).toString()) as Record<string, unknown>);
    at += header + length;
  }
  return messages;
}

/** Stream and seq of each message frame sent, as `stream:seq`. */
function delivered(sink: FakeSink): string[] {
  return sink.texts().map((text) => JSON.parse(text) as { type: string; stream: string; seq: number }).filter((frame) => frame.type === "message").map((frame) => `${frame.stream}:${frame.seq}`);
}

describe("broker", () => {
  it("builds each frame once per event: every subscriber gets the very same bytes", () => {
    const broker = new Broker(createLogger("silent"));
    const sinks = Array.from({ length: 5 }, () => new FakeSink());
    for (const sink of sinks) broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    const other = new FakeSink();
    broker.subscribe({ filter: {}, framer: wsFramer("other"), sink: other, limits: LIMITS });
    const sse = [new FakeSink(), new FakeSink()];
    for (const sink of sse) broker.subscribe({ filter: {}, framer: { event: (event) => event.sse({ id: true, chunked: false }) }, sink, limits: LIMITS });
    broker.publish(published(1));
    expect(new Set(sinks.map((sink) => sink.sent[0])).size).toBe(1);
    expect(sse[0]!.sent[0]).toBe(sse[1]!.sent[0]);
    expect(JSON.parse(sinks[0]!.texts()[0]!)).toEqual({ type: "message", sub: "s", stream: "-", seq: 1, channel: "events", event: { n: 1, payload: { k: 1 } } });
    expect(sinks[0]!.texts()[0]).toMatch(/^\{"type":"message","stream":"-","seq":1,/);
    expect(JSON.parse(other.texts()[0]!)).toMatchObject({ sub: "other", stream: "-", seq: 1 });
    expect(sse[0]!.texts()[0]).toBe(`id: -:1\nevent: WPAssigned\ndata: {"n":1,"payload":{"k":1}}\n\n`);
  });

  it("SSE over several streams: the shared frame without id, then each subscriber's own id: <position>, the body never copied", () => {
    const broker = new Broker(createLogger("silent"));
    const sinks = [new FakeSink(), new FakeSink()];
    const framer = { event: (event: PublishedEvent) => event.sse({ id: false, chunked: false }), position: (position: { token(): string }) => Buffer.from(`id: ${position.token()}\n\n`) };
    const [first, second] = sinks.map((sink) => broker.subscribe({ filter: {}, framer, sink, limits: LIMITS }));
    second!.position.replace(new Map([[A, 7]]));
    broker.publishBatch([published(1, "events", B), published(8, "events", A)]);
    expect(sinks[0]!.sent[0]).toBe(sinks[1]!.sent[0]);
    expect(sinks[0]!.texts()).toEqual([`event: WPAssigned\ndata: {"n":1,"payload":{"k":1}}\n`, `id: ${B}:1\n\n`, `event: WPAssigned\ndata: {"n":8,"payload":{"k":8}}\n`, `id: ${B}:1,${A}:8\n\n`]);
    expect(sinks[1]!.texts().filter((text) => text.startsWith("id:"))).toEqual([`id: ${B}:1,${A}:7\n\n`, `id: ${B}:1,${A}:8\n\n`]);
    expect(first!.position.token()).toBe(`${B}:1,${A}:8`);
  });

  it("builds a WebSocket frame once per subscription id, whatever order subscribers with different ids take it in", () => {
    const broker = new Broker(createLogger("silent"));
    const subs = ["s", "other", "s", "other", "s"];
    const sinks = subs.map((sub) => {
      const sink = new FakeSink();
      broker.subscribe({ filter: {}, framer: { event: (event) => event.wsFrame(sub) }, sink, limits: LIMITS });
      return sink;
    });
    broker.publish(published(1));
    const frames = sinks.map((sink) => sink.sent[0]!);
    expect(frames[2]).toBe(frames[0]);
    expect(frames[4]).toBe(frames[0]);
    expect(frames[3]).toBe(frames[1]);
    // Text frames under 126 bytes: FIN + opcode 1, the length, then the message.
    for (const frame of frames) expect([frame[0], frame[1]]).toEqual([0x81, frame.length - 2]);
    expect(JSON.parse(frames[0]!.subarray(2).toString())).toMatchObject({ type: "message", sub: "s", seq: 1 });
    expect(JSON.parse(frames[1]!.subarray(2).toString())).toMatchObject({ type: "message", sub: "other", seq: 1 });
  });

  it("writes a batch as one write of its joined frames, shared by every subscriber with that id, each stream moved to its last seq", () => {
    const broker = new Broker(createLogger("silent"));
    const limits = { ...LIMITS, highWaterBytes: 10_000 };
    const subs = ["s", "s", "other", "s"];
    const subscribers = subs.map((sub) => {
      const sink = new FakeSink();
      return { sink, subscriber: broker.subscribe({ filter: {}, framer: batchFramer(sub), sink, limits }) };
    });
    broker.publishBatch([published(1, "events", A), published(1), published(2, "events", A)]);
    for (const { sink, subscriber } of subscribers) {
      expect(sink.sent.length).toBe(1);
      expect(subscriber.position.token()).toBe(`-:1,${A}:2`);
    }
    const [first, second, other, fourth] = subscribers.map(({ sink }) => sink.sent[0]!);
    expect(second).toBe(first);
    expect(fourth).toBe(first);
    expect(wsMessages(first!)).toEqual([
      { type: "message", stream: A, seq: 1, channel: "events", event: { n: 1, payload: { k: 1 } }, sub: "s" },
      { type: "message", stream: "-", seq: 1, channel: "events", event: { n: 1, payload: { k: 1 } }, sub: "s" },
      { type: "message", stream: A, seq: 2, channel: "events", event: { n: 2, payload: { k: 2 } }, sub: "s" },
    ]);
    expect(wsMessages(other!).map((message) => message["sub"])).toEqual(["other", "other", "other"]);
    expect(broker.counters.deliveries).toBe(12);
  });

  it("frames a batch event by event for a subscriber that does not take all of it: a filter, a position past part of it, more than the high-water mark", () => {
    const broker = new Broker(createLogger("silent"));
    const open = (filter: { project?: string }, highWaterBytes = 10_000) => {
      const sink = new FakeSink();
      const subscriber = broker.subscribe({ filter, framer: batchFramer("s"), sink, limits: { ...LIMITS, highWaterBytes } });
      return { sink, subscriber };
    };
    const filtered = open({ project: A });
    const ahead = open({});
    ahead.subscriber.position.replace(new Map([[A, 1]]));
    const small = open({}, 100);
    broker.publishBatch([published(1, "events", A), published(1), published(2, "events", A)]);
    const streamSeqs = (sink: FakeSink) => sink.sent.flatMap((bytes) => wsMessages(bytes)).map((message) => `${String(message["stream"])}:${String(message["seq"])}`);
    expect(filtered.sink.sent.length).toBe(2);
    expect(streamSeqs(filtered.sink)).toEqual([`${A}:1`, `${A}:2`]);
    expect(streamSeqs(ahead.sink)).toEqual(["-:1", `${A}:2`]);
    // The socket's unsent bytes may pass the high-water mark by one frame, not by a batch.
    expect(small.sink.sent.length).toBe(3);
    expect(streamSeqs(small.sink)).toEqual([`${A}:1`, "-:1", `${A}:2`]);
    expect(broker.counters.deliveries).toBe(7);
    // A batch that repeats a seq is framed event by event, and the repeat skipped.
    const repeat = open({});
    broker.publishBatch([published(2), published(2), published(3)]);
    expect(streamSeqs(repeat.sink)).toEqual(["-:2", "-:3"]);
  });

  it("writes straight to a socket that keeps up, queueing nothing; past the high-water mark frames wait, in order", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    broker.publish(published(1));
    broker.publishBatch([published(2), published(3)]);
    expect(delivered(sink)).toEqual(["-:1", "-:2", "-:3"]);
    expect(subscriber.peakQueueBytes).toBe(0);
    sink.buffered = 500;
    broker.publish(published(4));
    broker.publish(published(5));
    expect(subscriber.queuedEvents).toBe(2);
    sink.drain();
    expect(delivered(sink)).toEqual(["-:1", "-:2", "-:3", "-:4", "-:5"]);
    expect(subscriber.queuedEvents).toBe(0);
  });

  it("after a drain, writes what the socket takes of its queue corked: one write, not one per queued frame", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new CorkingSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: { ...LIMITS, queueEvents: 10 } });
    sink.buffered = 500;
    for (let seq = 1; seq <= 4; seq++) broker.publish(published(seq));
    expect(subscriber.queuedEvents).toBe(4);
    sink.drain();
    expect(subscriber.queuedEvents).toBe(0);
    expect(sink.writes.map((write) => write.length)).toEqual([4]);
    expect(delivered(sink)).toEqual(["-:1", "-:2", "-:3", "-:4"]);
  });

  it("keeps each stream's head and delivers each stream once, in seq order, whatever the others do", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    subscriber.position.replace(new Map([[A, 2]]));
    broker.publishBatch([published(1, "events", A), published(1, "events", B), published(3, "events", A), published(2, "events", B)]);
    broker.publish(published(3, "events", A)); // a cluster node's feed behind what replay read
    broker.publish(published(1, "events", null));
    expect(delivered(sink)).toEqual([`${B}:1`, `${A}:3`, `${B}:2`, "-:1"]);
    expect(broker.heads).toEqual(new Map([[A, 3], [B, 2], ["-", 1]]));
    expect(subscriber.position.token()).toBe(`-:1,${B}:2,${A}:3`);
  });

  it("never throws from publish: a failing subscriber is closed, the others still get the event", () => {
    const broker = new Broker(createLogger("silent"));
    const bad = new FakeSink();
    bad.throwOnSend = true;
    const good = new FakeSink();
    broker.subscribe({ filter: {}, framer: wsFramer("s"), sink: bad, limits: LIMITS });
    broker.subscribe({ filter: {}, framer: wsFramer("s"), sink: good, limits: LIMITS });
    expect(() => broker.publish(published(1))).not.toThrow();
    expect(bad.closedWith?.code).toBe(CLOSE_CODES.internalError);
    expect(good.sent.length).toBe(1);
    expect(broker.stats().subscribers).toBe(1);
  });

  it("filters by channel pattern and project", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    broker.subscribe({ filter: { channel: "session:*", project: "p" }, framer: wsFramer("s"), sink, limits: LIMITS });
    broker.publish(published(1, "session:a", "p"));
    broker.publish(published(2, "session:a", "q"));
    broker.publish(published(3, "events", "p"));
    broker.publish(published(4, "session:b", null));
    expect(sink.texts().map((text) => (JSON.parse(text) as { seq: number }).seq)).toEqual([1]);
  });

  it("drops the oldest across streams and sends one gap per stream that lost events, before the rest", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    broker.publish(published(1, "events", A));
    sink.buffered = 500;
    for (const [seq, project] of [[2, A], [1, B], [3, A], [2, B], [4, A], [3, B]] as const) broker.publish(published(seq, "events", project));
    sink.drain();
    expect(sink.texts().map((text) => JSON.parse(text) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ type: "message", stream: A, seq: 1 }),
      { type: "gap", sub: "s", stream: A, from_seq: 1, to_seq: 3 },
      { type: "gap", sub: "s", stream: B, from_seq: 0, to_seq: 1 },
      expect.objectContaining({ stream: B, seq: 2 }),
      expect.objectContaining({ stream: A, seq: 4 }),
      expect.objectContaining({ stream: B, seq: 3 }),
    ]);
    expect(subscriber.position.token()).toBe(`${B}:3,${A}:4`);
  });

  it("queues past the high-water mark, drops the oldest at the limit and sends a gap before the rest", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    broker.publish(published(1));
    sink.buffered = 500; // the socket stopped taking bytes
    for (let seq = 2; seq <= 8; seq++) broker.publish(published(seq));
    expect(subscriber.queuedEvents).toBe(3);
    expect(broker.counters.drops).toBe(4);
    sink.drain();
    expect(sink.texts().map((text) => JSON.parse(text) as { type: string; seq?: number; from_seq?: number; to_seq?: number })).toEqual([
      expect.objectContaining({ type: "message", seq: 1 }),
      { type: "gap", sub: "s", stream: "-", from_seq: 1, to_seq: 5 },
      expect.objectContaining({ seq: 6 }),
      expect.objectContaining({ seq: 7 }),
      expect.objectContaining({ seq: 8 }),
    ]);
    expect(subscriber.position.token()).toBe("-:8");
  });

  it("holds exactly the queue limits (count, then bytes) and drops only past them", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const byCount = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    sink.buffered = 500;
    for (let seq = 1; seq <= 3; seq++) broker.publish(published(seq));
    expect([byCount.queuedEvents, broker.counters.drops]).toEqual([3, 0]);
    broker.publish(published(4));
    expect([byCount.queuedEvents, broker.counters.drops]).toEqual([3, 1]);

    const frameBytes = published(10).message("s").length;
    const bytesBroker = new Broker(createLogger("silent"));
    const bytesSink = new FakeSink();
    const byBytes = bytesBroker.subscribe({ filter: {}, framer: wsFramer("s"), sink: bytesSink, limits: { ...LIMITS, queueEvents: 100, queueBytes: 2 * frameBytes } });
    bytesSink.buffered = 500;
    bytesBroker.publish(published(10));
    bytesBroker.publish(published(11));
    expect([byBytes.queuedBytes, bytesBroker.counters.drops]).toEqual([2 * frameBytes, 0]);
    bytesBroker.publish(published(12));
    expect([byBytes.queuedBytes, bytesBroker.counters.drops]).toEqual([2 * frameBytes, 1]);
  });

  it("closes with 4429 a subscriber that stays at its limit past the grace period, or takes nothing past the send timeout", () => {
    const broker = new Broker(createLogger("silent"));
    const behind = new FakeSink();
    const stuck = new FakeSink();
    const fine = new FakeSink();
    broker.subscribe({ filter: {}, framer: wsFramer("s"), sink: behind, limits: LIMITS });
    broker.subscribe({ filter: { channel: "rare" }, framer: wsFramer("s"), sink: stuck, limits: LIMITS });
    broker.subscribe({ filter: {}, framer: wsFramer("s"), sink: fine, limits: LIMITS });
    behind.buffered = 500;
    stuck.buffered = 500;
    const started = Date.now();
    for (let seq = 1; seq <= 10; seq++) broker.publish(published(seq));
    broker.publish(published(11, "rare"));
    broker.sweep(started + 100);
    expect(behind.closedWith).toBeUndefined();
    broker.sweep(started + LIMITS.slowConsumerGraceMs + 100);
    expect(behind.closedWith?.code).toBe(CLOSE_CODES.slowConsumer);
    expect(JSON.parse(behind.texts().at(-1)!)).toEqual({ type: "gap", sub: "s", stream: "-", from_seq: 0, to_seq: 8 });
    expect(behind.closedWith?.reason).toMatch(/resubscribe from the position you last processed/);
    expect(stuck.closedWith).toBeUndefined();
    broker.sweep(started + LIMITS.sendTimeoutMs + 100);
    expect(stuck.closedWith?.code).toBe(CLOSE_CODES.slowConsumer);
    expect(fine.closedWith).toBeUndefined();
    expect(broker.counters.slowConsumerCloses).toBe(2);
  });

  it("closes instead of dropping on a channel without gap frames", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    broker.subscribe({ filter: {}, framer: { event: (event) => event.payload() }, sink, limits: LIMITS });
    sink.buffered = 500;
    for (let seq = 1; seq <= 4; seq++) broker.publish(published(seq));
    expect(sink.closedWith?.code).toBe(CLOSE_CODES.slowConsumer);
  });

  it("holds live frames back during replay, sends only newer ones after, and tells replay to re-read on overflow", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    const subscriber = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS });
    subscriber.startReplay();
    broker.publish(published(5));
    broker.publish(published(6));
    expect(sink.sent).toEqual([]);
    for (const seq of [4, 5]) subscriber.replay(published(seq));
    broker.publish(published(2, "events", A));
    subscriber.replay(published(1, "events", A));
    subscriber.replay(published(2, "events", A));
    subscriber.finishReplay();
    expect(delivered(sink)).toEqual(["-:4", "-:5", `${A}:1`, `${A}:2`, "-:6"]);

    const overflow = broker.subscribe({ filter: {}, framer: wsFramer("s"), sink: new FakeSink(), limits: LIMITS });
    overflow.startReplay();
    const epoch = overflow.replayEpoch;
    for (let seq = 10; seq <= 14; seq++) broker.publish(published(seq));
    expect(overflow.replayEpoch).toBeGreaterThan(epoch);
  });

  it("ends a stream after its last frame is written", () => {
    const broker = new Broker(createLogger("silent"));
    const sink = new FakeSink();
    broker.subscribe({ filter: {}, framer: wsFramer("s"), sink, limits: LIMITS, endsAfter: (event) => event.seq === 2 });
    broker.publish(published(1));
    sink.buffered = 500;
    broker.publish(published(2));
    expect(sink.closedWith).toBeUndefined();
    sink.drain();
    expect(sink.closedWith?.code).toBe(1000);
    expect(sink.sent.length).toBe(2);
  });
});

describe("the fan-out walk", () => {
  const SLICE = 4;
  function walkers(count: number) {
    const broker = new Broker(createLogger("silent"), { fanOutSlice: SLICE });
    const sinks = Array.from({ length: count }, () => new CorkingSink());
    for (const sink of sinks) broker.subscribe({ filter: {}, framer: batchFramer("s"), sink, limits: { ...LIMITS, highWaterBytes: 1_000_000 } });
    return { broker, sinks };
  }
  const seqs = (sink: CorkingSink): number[][] => sink.writes.map((write) => wsMessages(Buffer.concat(write)).map((message) => message["seq"] as number));

  it("hands the first slice its events in publish, and the rest in later turns of the event loop", async () => {
    const { broker, sinks } = walkers(10);
    broker.publish(published(1));
    expect(sinks.map((sink) => sink.writes.length)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    await broker.settled();
    expect(sinks.map(seqs)).toEqual(Array.from({ length: 10 }, () => [[1]]));
  });

  it("adds events committed during a walk to it: those not yet visited get both in one write, the others get the new one next", async () => {
    const { broker, sinks } = walkers(10);
    broker.publish(published(1));
    await nextTurn(); // the walk is at subscriber 8 of 10
    expect(sinks.map((sink) => sink.writes.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    broker.publishBatch([published(2), published(3)]);
    await broker.settled();
    expect(sinks.map(seqs)).toEqual([...Array.from({ length: 8 }, () => [[1], [2, 3]]), [[1, 2, 3]], [[1, 2, 3]]]);
    // One buffer, built once for everyone last visited at the same point.
    expect(sinks[8]!.sent).toHaveLength(1);
    expect(sinks[9]!.sent[0]).toBe(sinks[8]!.sent[0]);
    expect(broker.counters.deliveries).toBe(30);
  });

  it("gives a subscriber that joins during a walk only what is published after it joined, and skips one that closed", async () => {
    const { broker, sinks } = walkers(10);
    broker.publish(published(1));
    const late = new CorkingSink();
    broker.subscribe({ filter: {}, framer: batchFramer("s"), sink: late, limits: LIMITS });
    broker.subscribers()[9]!.close(1000, "bye");
    broker.publish(published(2));
    await broker.settled();
    expect(seqs(late)).toEqual([[2]]);
    expect(seqs(sinks[9]!)).toEqual([]);
    expect(sinks.slice(4, 9).map(seqs)).toEqual(Array.from({ length: 5 }, () => [[1, 2]]));
    expect(broker.stats().subscribers).toBe(10);
  });

  it("keeps each subscriber's streams in seq order across many commits during walks, each event once", async () => {
    const { broker, sinks } = walkers(13);
    let seq = 0;
    for (let round = 0; round < 20; round++) {
      const size = 1 + (round % 3);
      broker.publishBatch(Array.from({ length: size }, () => published(++seq)));
      if (round % 2 === 0) await nextTurn();
    }
    await broker.settled();
    const all = Array.from({ length: seq }, (_, index) => index + 1);
    for (const sink of sinks) expect(seqs(sink).flat()).toEqual(all);
  });
});
