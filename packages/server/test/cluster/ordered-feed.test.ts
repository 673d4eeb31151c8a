/**
 * The ordered feed and the bus encoding on their own (no services): whatever the bus
 * does to commit messages (late, reordered, duplicated, lost, range-only), a node
 * delivers every seq of every stream once, in that stream's order, reading what is
 * missing from the store, and a gap in one stream never holds back another; the
 * reorder bound and the inline message size are limits at their exact edge.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NO_PROJECT_STREAM } from "@events/schema";
import { PublishedEvent } from "../../src/broker/published-event.js";
import { decodeCommit, encodeCommit as encodeRuns, runsOf } from "../../src/cluster/bus-messages.js";
import { FILL_CONCURRENCY, OrderedFeed, type FeedBatch } from "../../src/cluster/ordered-feed.js";
import { createLogger } from "../../src/logger.js";

const A = "0a0a0a0a-0000-4000-8000-00000000000a";
const B = "0b0b0b0b-0000-4000-8000-00000000000b";
const C = "0c0c0c0c-0000-4000-8000-00000000000c";

function stored(stream: string, seq: number, json = `{"s":"${stream}","n":${seq}}`): PublishedEvent {
  const project = stream === NO_PROJECT_STREAM ? null : stream;
  return new PublishedEvent({ stream, seq, eventId: `${stream}/${seq}`, project, channel: "events", eventType: "WPAssigned", json, lamport: seq });
}

const GAP_WAIT_MS = 50;

interface FakeFeed {
  readonly feed: OrderedFeed;
  /** Seqs delivered, per stream. */
  readonly delivered: Map<string, number[]>;
  /** Every deliver call held one stream. */
  readonly mixedCalls: number;
  /** `stream:after` of every store read, in order. */
  readonly reads: string[];
  /** The most reads that ran at once. */
  readonly maxConcurrentReads: number;
}

/** A feed over an in-memory store holding `1..total` of each stream; records what it delivers. */
function feedOver(totals: Record<string, number>, maxPendingEvents = 10_000): FakeFeed {
  const store = new Map(Object.entries(totals).map(([stream, total]) => [stream, Array.from({ length: total }, (_, index) => stored(stream, index + 1))]));
  const delivered = new Map<string, number[]>();
  const reads: string[] = [];
  let mixedCalls = 0;
  let running = 0;
  let maxConcurrentReads = 0;
  const feed = new OrderedFeed({
    start: new Map(),
    read: async (stream, afterSeq, limit) => {
      reads.push(`${stream}:${afterSeq}`);
      maxConcurrentReads = Math.max(maxConcurrentReads, ++running);
      // A store round trip: the feed must not start more reads meanwhile than it allows.
      await new Promise((resolve) => setTimeout(resolve, 1));
      running--;
      return (store.get(stream) ?? []).filter((event) => event.seq > afterSeq).slice(0, limit);
    },
    storeHeads: () => Promise.resolve(new Map(Object.entries(totals))),
    deliver: (events) => {
      const stream = events[0]!.stream;
      if (events.some((event) => event.stream !== stream)) mixedCalls++;
      const list = delivered.get(stream) ?? [];
      list.push(...events.map((event) => event.seq));
      delivered.set(stream, list);
    },
    gapWaitMs: GAP_WAIT_MS,
    maxPendingEvents,
    logger: createLogger("silent"),
  });
  return {
    feed,
    delivered,
    reads,
    get mixedCalls() {
      return mixedCalls;
    },
    get maxConcurrentReads() {
      return maxConcurrentReads;
    },
  };
}

function batch(stream: string, first: number, last: number, inline = true): FeedBatch {
  return { stream, first, last, events: inline ? Array.from({ length: last - first + 1 }, (_, index) => stored(stream, first + index)) : undefined };
}

const encodeCommit = (origin: string, events: readonly PublishedEvent[], maxBytes: number): string => encodeRuns(origin, runsOf(events), maxBytes);

function oneTo(total: number): number[] {
  return Array.from({ length: total }, (_, index) => index + 1);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ordered feed", () => {
  it("delivers every seq of every stream once and in order whatever the bus loses, repeats, reorders or sends as a range (property)", async () => {
    const streams = [A, B, NO_PROJECT_STREAM];
    const scenario = fc
      .array(fc.record({ stream: fc.constantFrom(...streams), size: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 30 })
      .chain((commits) =>
        fc.record({
          commits: fc.constant(commits),
          fates: fc.array(fc.constantFrom("inline", "range", "lost", "twice"), { minLength: commits.length, maxLength: commits.length }),
          order: fc.shuffledSubarray([...commits.keys()], { minLength: commits.length, maxLength: commits.length }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ commits, fates, order }) => {
        const next = new Map<string, number>();
        const batches = commits.map(({ stream, size }) => {
          const first = (next.get(stream) ?? 0) + 1;
          next.set(stream, first + size - 1);
          return batch(stream, first, first + size - 1);
        });
        const totals = Object.fromEntries(next);
        const fake = feedOver(totals);
        for (const index of order) {
          const fate = fates[index]!;
          const sent = batches[index]!;
          if (fate === "lost") continue;
          const message = fate === "range" ? { ...sent, events: undefined } : sent;
          fake.feed.offer(message);
          if (fate === "twice") fake.feed.offer(message);
          await vi.advanceTimersByTimeAsync(GAP_WAIT_MS / 5);
        }
        // A lost last message of a stream has nothing after it: the lag check finds it.
        await fake.feed.checkLag();
        await fake.feed.checkLag();
        const complete = (): boolean => [...next].every(([stream, total]) => (fake.delivered.get(stream)?.length ?? 0) >= total);
        for (let round = 0; round < 200 && !complete(); round++) await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
        await fake.feed.settled();
        for (const [stream, total] of next) expect(fake.delivered.get(stream)).toEqual(oneTo(total));
        expect(fake.mixedCalls).toBe(0);
        expect(fake.feed.delivered).toEqual(next);
        fake.feed.close();
      }),
      { numRuns: 60 },
    );
  });

  it("delivers a stream at once while another stream waits for a late message", () => {
    const fake = feedOver({ [A]: 5, [B]: 2 });
    fake.feed.offer(batch(A, 3, 5));
    fake.feed.offer(batch(B, 1, 2));
    expect(fake.delivered.get(B)).toEqual([1, 2]);
    expect(fake.delivered.get(A)).toBeUndefined();
    expect(fake.feed.pendingEvents).toBe(3);
    fake.feed.offer(batch(A, 1, 2));
    expect(fake.delivered.get(A)).toEqual(oneTo(5));
    expect(fake.reads).toEqual([]);
    fake.feed.close();
  });

  it("waits busGapWaitMs for a late message before reading that stream's gap from the store", async () => {
    const fake = feedOver({ [A]: 5, [B]: 1 });
    fake.feed.offer(batch(A, 3, 5));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS - 1);
    expect(fake.reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(5);
    await fake.feed.settled();
    expect(fake.reads).toEqual([`${A}:0`]);
    expect(fake.delivered.get(A)).toEqual(oneTo(5));
    expect(fake.delivered.get(B)).toBeUndefined();
    expect(fake.feed.counters.gapFills).toBe(1);
    fake.feed.close();
  });

  it("holds up to busReorderMaxEvents over all streams; one more drops the largest buffer and reads that stream from the store", async () => {
    const max = 10;
    const fake = feedOver({ [A]: 7, [B]: 5, [C]: 2 }, max);
    fake.feed.offer(batch(A, 2, 7)); // 6 waiting for A:1
    fake.feed.offer(batch(B, 2, 5)); // 4 waiting for B:1: exactly `max`
    expect(fake.feed.pendingEvents).toBe(max);
    expect(fake.feed.counters.overflows).toBe(0);
    fake.feed.offer(batch(C, 2, 2)); // max + 1: A's buffer (the largest) goes
    expect(fake.feed.counters.overflows).toBe(1);
    expect(fake.feed.pendingEvents).toBe(5);
    await vi.advanceTimersByTimeAsync(5);
    await fake.feed.settled();
    expect(fake.reads[0]).toBe(`${A}:0`);
    expect(fake.delivered.get(A)).toEqual(oneTo(7));
    // The others are untouched until their own message arrives.
    fake.feed.offer(batch(B, 1, 1));
    fake.feed.offer(batch(C, 1, 1));
    expect(fake.delivered.get(B)).toEqual(oneTo(5));
    expect(fake.delivered.get(C)).toEqual(oneTo(2));
    expect(fake.feed.pendingEvents).toBe(0);
    fake.feed.close();
  });

  it(`catches every stream up to the store's heads after a bus outage, reading at most ${FILL_CONCURRENCY} streams at once`, async () => {
    const totals = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`${index.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`, 3 + index]));
    const fake = feedOver(totals);
    await fake.feed.catchUp();
    for (let round = 0; round < 50 && fake.delivered.size < 12; round++) await vi.advanceTimersByTimeAsync(1);
    await fake.feed.settled();
    for (const [stream, total] of Object.entries(totals)) expect(fake.delivered.get(stream)).toEqual(oneTo(total));
    expect(fake.maxConcurrentReads).toBe(FILL_CONCURRENCY);
    expect(fake.feed.counters.catchUps).toBe(12);
    fake.feed.close();
  });

  it("finds a stream's lost last message at the second lag check (committed a whole interval ago), not the first", async () => {
    const fake = feedOver({ [A]: 3, [B]: 2 });
    fake.feed.offer(batch(A, 1, 2));
    fake.feed.offer(batch(B, 1, 2));
    await fake.feed.checkLag();
    await fake.feed.settled();
    expect(fake.reads).toEqual([]);
    await fake.feed.checkLag();
    await vi.advanceTimersByTimeAsync(5);
    await fake.feed.settled();
    expect(fake.reads).toEqual([`${A}:2`]);
    expect(fake.delivered.get(A)).toEqual(oneTo(3));
    fake.feed.close();
  });
});

describe("commit messages", () => {
  it("carry several streams' runs: each event decodes with its own stream, seq and project", () => {
    const events = [stored(A, 7), stored(NO_PROJECT_STREAM, 3), stored(A, 8), stored(B, 1), stored(A, 10)];
    const decoded = decodeCommit(encodeCommit("origin", events, Number.MAX_SAFE_INTEGER));
    expect(decoded?.batches.map((batch) => [batch.stream, batch.first, batch.last])).toEqual([
      [A, 7, 8],
      [A, 10, 10],
      [NO_PROJECT_STREAM, 3, 3],
      [B, 1, 1],
    ]);
    const flat = decoded!.batches.flatMap((batch) => batch.events!);
    expect(flat.map((event) => [event.stream, event.seq, event.project, event.eventId, event.json])).toEqual(
      [stored(A, 7), stored(A, 8), stored(A, 10), stored(NO_PROJECT_STREAM, 3), stored(B, 1)].map((event) => [event.stream, event.seq, event.project, event.eventId, event.json]),
    );
    expect(flat.find((event) => event.stream === NO_PROJECT_STREAM)?.project).toBeNull();
  });

  it("travel inline up to busMaxMessageBytes in UTF-8 bytes, and as the runs alone one byte past it", () => {
    const events = [stored(A, 7, '{"name":"événement"}'), stored(B, 8, '{"name":"ü"}')];
    const inline = encodeCommit("origin", events, Number.MAX_SAFE_INTEGER);
    const bytes = Buffer.byteLength(inline);
    expect(bytes).toBeGreaterThan(inline.length); // multi-byte characters count as bytes
    const fits = decodeCommit(encodeCommit("origin", events, bytes));
    expect(fits?.batches.flatMap((batch) => batch.events!.map((event) => [event.stream, event.seq, event.json]))).toEqual([
      [A, 7, '{"name":"événement"}'],
      [B, 8, '{"name":"ü"}'],
    ]);
    const over = decodeCommit(encodeCommit("origin", events, bytes - 1));
    expect(over).toEqual({
      kind: "commit",
      origin: "origin",
      batches: [
        { stream: A, first: 7, last: 7, events: undefined },
        { stream: B, first: 8, last: 8, events: undefined },
      ],
    });
  });

  it("decodes nothing malformed, and never throws", () => {
    const malformed = [
      "",
      "{",
      "null",
      '{"o":"x","r":[]}',
      '{"o":"x","r":[["-",2,1]]}',
      '{"o":"x","r":[["not-a-stream",1,1]]}',
      '{"o":"x","r":[["-",0,1]]}',
      '{"o":"x","r":[["-",1,1]]}\n{}', // a range-only message with a body
      '{"o":"x","r":[["-",1,2]],"m":[["e1","events","T",1]]}\n{}', // fewer events than the run
      '{"o":"x","r":[["-",1,1]],"m":[["e1","events","T",1]]}', // no body line
      '{"o":"x","r":[["-",1,1]],"m":[["e1","events",1,1]]}\n{}', // meta of the wrong type
      '{"o":1,"r":[["-",1,1]]}',
    ];
    for (const text of malformed) expect(decodeCommit(text)).toBeUndefined();
  });
});
