/**
 * The ordered feed and the bus encoding on their own (no services): whatever the bus
 * does to commit messages (late, reordered, duplicated, lost, range-only), a node
 * delivers every seq once, in order, reading what is missing from the store; the
 * reorder buffer and the inline message size are limits at their exact edge.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PublishedEvent } from "../../src/broker/published-event.js";
import { decodeCommit, encodeCommit } from "../../src/cluster/bus-messages.js";
import { OrderedFeed, type FeedBatch } from "../../src/cluster/ordered-feed.js";
import { createLogger } from "../../src/logger.js";

function stored(seq: number, json = `{"n":${seq}}`): PublishedEvent {
  return new PublishedEvent({ seq, eventId: `e${seq}`, project: null, channel: "events", eventType: "WPAssigned", json, lamport: seq });
}

const GAP_WAIT_MS = 50;

/** A feed over an in-memory store of `1..total`; records what it delivers. */
function feedOver(total: number, maxPendingEvents = 10_000): { feed: OrderedFeed; delivered: number[]; reads: number[] } {
  const store = Array.from({ length: total }, (_, index) => stored(index + 1));
  const delivered: number[] = [];
  const reads: number[] = [];
  const feed = new OrderedFeed({
    start: 0,
    read: (afterSeq, limit) => {
      reads.push(afterSeq);
      return Promise.resolve(store.filter((event) => event.seq > afterSeq).slice(0, limit));
    },
    storeHead: () => Promise.resolve(total),
    deliver: (events) => delivered.push(...events.map((event) => event.seq)),
    gapWaitMs: GAP_WAIT_MS,
    maxPendingEvents,
    logger: createLogger("silent"),
  });
  return { feed, delivered, reads };
}

function batch(first: number, last: number, inline = true): FeedBatch {
  return { first, last, events: inline ? Array.from({ length: last - first + 1 }, (_, index) => stored(first + index)) : undefined };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ordered feed", () => {
  it("delivers every seq once and in order whatever the bus loses, repeats, reorders or sends as a range (property)", async () => {
    const scenario = fc
      .array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 25 })
      .chain((sizes) =>
        fc.record({
          sizes: fc.constant(sizes),
          fates: fc.array(fc.constantFrom("inline", "range", "lost", "twice"), { minLength: sizes.length, maxLength: sizes.length }),
          order: fc.shuffledSubarray([...sizes.keys()], { minLength: sizes.length, maxLength: sizes.length }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ sizes, fates, order }) => {
        const total = sizes.reduce((sum, size) => sum + size, 0);
        const { feed, delivered } = feedOver(total);
        const batches: FeedBatch[] = [];
        let next = 1;
        for (const size of sizes) {
          batches.push(batch(next, next + size - 1));
          next += size;
        }
        for (const index of order) {
          const fate = fates[index]!;
          const sent = batches[index]!;
          if (fate === "lost") continue;
          const message = fate === "range" ? { ...sent, events: undefined } : sent;
          feed.offer(message);
          if (fate === "twice") feed.offer(message);
          await vi.advanceTimersByTimeAsync(GAP_WAIT_MS / 5);
        }
        // A lost last message has nothing after it: the lag check finds it.
        await feed.checkLag();
        await feed.checkLag();
        for (let round = 0; round < 100 && delivered.length < total; round++) await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
        await feed.settled();
        expect(delivered).toEqual(Array.from({ length: total }, (_, index) => index + 1));
        feed.close();
      }),
      { numRuns: 60 },
    );
  });

  it(`holds up to busReorderMaxEvents ahead of the next seq; one more drops the buffer and reads from the store`, async () => {
    const max = 10;
    const held = feedOver(20, max);
    held.feed.offer(batch(2, 11)); // exactly `max` events waiting for seq 1
    expect(held.feed.pendingEvents).toBe(max);
    expect(held.feed.counters.overflows).toBe(0);
    held.feed.offer(batch(1, 1));
    expect(held.delivered).toEqual(Array.from({ length: 11 }, (_, index) => index + 1));
    expect(held.reads).toEqual([]);

    const over = feedOver(12, max);
    over.feed.offer(batch(2, 12)); // max + 1
    expect(over.feed.counters.overflows).toBe(1);
    expect(over.feed.pendingEvents).toBe(0);
    await over.feed.settled();
    expect(over.delivered).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
    expect(over.feed.counters.filledEvents).toBe(12);
    over.feed.close();
    held.feed.close();
  });

  it("waits busGapWaitMs for a late message before reading the gap from the store", async () => {
    const { feed, delivered, reads } = feedOver(5);
    feed.offer(batch(3, 5));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS - 1);
    expect(reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await feed.settled();
    expect(reads).toEqual([0]);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    expect(feed.counters.gapFills).toBe(1);
    feed.close();
  });
});

describe("commit messages", () => {
  it("travel inline up to busMaxMessageBytes in UTF-8 bytes, and as a range one byte past it", () => {
    const events = [stored(7, '{"name":"événement"}'), stored(8, '{"name":"ü"}')];
    const inline = encodeCommit("origin", events, Number.MAX_SAFE_INTEGER);
    const bytes = Buffer.byteLength(inline);
    expect(bytes).toBeGreaterThan(inline.length); // multi-byte characters count as bytes
    const fits = decodeCommit(encodeCommit("origin", events, bytes));
    expect(fits?.events?.map((event) => [event.seq, event.json])).toEqual([
      [7, '{"name":"événement"}'],
      [8, '{"name":"ü"}'],
    ]);
    const over = decodeCommit(encodeCommit("origin", events, bytes - 1));
    expect(over).toEqual({ kind: "commit", origin: "origin", first: 7, last: 8, events: undefined });
  });

  it("decodes nothing malformed", () => {
    for (const text of ["", "{", '{"o":"x","f":2,"l":1}', '{"o":"x","f":1,"l":2,"m":[["e1",null,"events","T",1]]}\n{}', "null"]) {
      expect(decodeCommit(text)).toBeUndefined();
    }
  });
});
