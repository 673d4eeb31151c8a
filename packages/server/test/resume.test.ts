/**
 * `resume` on a real store. As a cluster node runs it: the node's broker may be
 * behind the store (other nodes committed what its ordered feed has not delivered
 * yet); a position past what the node delivered but within the store is served from
 * the store, not reset, and live events that replay already read are not sent
 * twice. And under retention: a prune that cuts into a replay under way closes it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "@events/schema";
import { Broker } from "../src/broker/broker.js";
import { PublishedEvent } from "../src/broker/published-event.js";
import type { Sink } from "../src/broker/sink.js";
import { resume, type Opened } from "../src/core/resume.js";
import { createLogger } from "../src/logger.js";
import type { KyselyStore } from "../src/store/kysely-store.js";
import type { StoredEvent } from "../src/store/records.js";
import { event, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { AT, openStore, prepare, type Cleanups } from "./helpers/store.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LIMITS = { queueEvents: 1_000, queueBytes: 1_000_000, highWaterBytes: 1_000_000, sendTimeoutMs: 10_000, slowConsumerGraceMs: 5_000 };

/** A sink that keeps the `stream:seq` of every message frame. */
function recordingSink(): Sink & { readonly received: string[]; closedWith?: { code: number; reason: string } } {
  const received: string[] = [];
  const sink: Sink & { readonly received: string[]; closedWith?: { code: number; reason: string } } = {
    received,
    send: (bytes) => {
      const frame = JSON.parse(bytes.toString()) as { stream: string; seq: number };
      received.push(`${frame.stream}:${frame.seq}`);
    },
    buffered: 0,
    onDrain: () => undefined,
    close: (code, reason) => {
      sink.closedWith = { code, reason };
    },
  };
  return sink;
}

async function stored(store: KyselyStore, count: number, project: string): Promise<StoredEvent[]> {
  await store.append(
    Array.from({ length: count }, () => prepare(event({ project_uuid: project }))),
    AT,
  );
  return store.readAfter({ after: new Map(), limit: 10_000, project });
}

describe("resume against a store ahead of the node's broker", () => {
  it("serves a position the store holds but the node has not delivered yet, from the store, without a reset or a duplicate", async () => {
    const { store } = await openStore("sqlite", cleanups);
    const a = await stored(store, 6, PROJECT_A);
    const b = await stored(store, 2, PROJECT_B);
    const broker = new Broker(createLogger("silent"));
    // The node has delivered A up to 2 and B up to 2; the store holds A up to 6.
    broker.publishBatch([...a.slice(0, 2), ...b].map((row) => new PublishedEvent(row)));
    const sink = recordingSink();
    const subscriber = broker.subscribe({ filter: {}, framer: { event: (item) => item.message("s") }, sink, limits: LIMITS });
    const opened: Opened[] = [];
    let askedStore = 0;
    await resume(
      {
        store,
        broker,
        prunedThrough: () => store.prunedThrough(),
        legacyPosition: (seq) => store.legacyPosition(seq),
        storeHeads: () => {
          askedStore++;
          return store.streamHeads();
        },
      },
      { subscriber, filter: {}, since: new Map([[PROJECT_A, 4], [PROJECT_B, 1]]), opened: (value) => opened.push(value) },
    );
    expect(askedStore).toBe(1);
    expect(opened).toEqual([{ position: `${PROJECT_B}:1,${PROJECT_A}:4` }]);
    // The node's feed now delivers A 3..6 late: 5 and 6 were replayed already.
    broker.publishBatch(a.slice(2).map((row) => new PublishedEvent(row)));
    expect(sink.received.filter((item) => item.startsWith(PROJECT_A))).toEqual([`${PROJECT_A}:5`, `${PROJECT_A}:6`]);
    expect(sink.received.filter((item) => item.startsWith(PROJECT_B))).toEqual([`${PROJECT_B}:2`]);
    expect(sink.received).toHaveLength(3);
    expect(subscriber.position.token()).toBe(`${PROJECT_B}:2,${PROJECT_A}:6`);
  });

  it("asks the store only when the position is ahead of what the node delivered, and resets what the store does not hold either", async () => {
    const { store } = await openStore("sqlite", cleanups);
    const a = await stored(store, 3, PROJECT_A);
    const broker = new Broker(createLogger("silent"));
    broker.publishBatch(a.map((row) => new PublishedEvent(row)));
    let askedStore = 0;
    const deps = {
      store,
      broker,
      prunedThrough: () => store.prunedThrough(),
      legacyPosition: (seq: number) => store.legacyPosition(seq),
      storeHeads: () => {
        askedStore++;
        return store.streamHeads();
      },
    };
    const open = async (since: Map<string, number>): Promise<Opened[]> => {
      const subscriber = broker.subscribe({ filter: {}, framer: { event: (item) => item.message("s") }, sink: recordingSink(), limits: LIMITS });
      const opened: Opened[] = [];
      await resume(deps, { subscriber, filter: {}, since, opened: (value) => opened.push(value) });
      subscriber.detach();
      return opened;
    };
    expect(await open(new Map([[PROJECT_A, 2]]))).toEqual([{ position: `${PROJECT_A}:2` }]);
    expect(askedStore).toBe(0);
    const [ahead] = await open(new Map([[PROJECT_A, 9]]));
    expect(askedStore).toBe(1);
    expect(ahead).toMatchObject({ position: `${PROJECT_A}:3`, reset: { reason: "position_ahead", streams: [PROJECT_A] } });
  });
});

describe("resume while retention prunes", () => {
  it("closes with 1011 a replay whose stream is pruned past it between pages, rather than skip events silently", async () => {
    const { store } = await openStore("sqlite", cleanups);
    await stored(store, 1_200, PROJECT_A);
    const broker = new Broker(createLogger("silent"));
    const sink = recordingSink();
    const subscriber = broker.subscribe({ filter: {}, framer: { event: (item) => item.message("s") }, sink, limits: LIMITS });
    let checks = 0;
    const opened: Opened[] = [];
    await resume(
      {
        store,
        broker,
        // The second check follows the second page's read: another hub pruned in between.
        prunedThrough: async () => {
          if (++checks === 2) await store.prune(100);
          return store.prunedThrough();
        },
        legacyPosition: (seq) => store.legacyPosition(seq),
      },
      { subscriber, filter: {}, since: new Map(), opened: (value) => opened.push(value) },
    );
    expect(opened).toEqual([{ position: "" }]);
    expect(sink.received).toHaveLength(500);
    expect(sink.closedWith).toEqual({ code: CLOSE_CODES.internalError, reason: `stream ${PROJECT_A} was pruned during replay; resubscribe from the same position` });
  });
});
