/**
 * Three hub processes on one PostgreSQL and one Redis behave as one hub: events
 * published to any node, into any project, reach the subscribers of every node, each
 * stream in its seq order, once. (Faults: faults.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { events } from "../helpers/envelopes.js";
import { ackedStreams, projects, publishSpread, ResumingSubscriber, spread } from "./clients.js";
import { storedCounts } from "./harness.js";
import { requireServices, testCluster } from "./setup.js";

describe("cluster delivery", () => {
  it("delivers 24,000 events over eight projects, spread over three nodes, to the subscribers of every node: each stream in seq order, none twice", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const subscribers = urls.map((_, index) => new ResumingSubscriber(urls, index));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 24_000;
    const result = await publishSpread(spread(events(total), projects(8)), urls, { frameSize: 100, inFlight: 4 });
    expect(result.accepted).toBe(total);
    expect(result.duplicate).toBe(0);
    const acked = ackedStreams(result.storedAt);
    const complete = (): boolean => subscribers.every((subscriber) => subscriber.received >= total);
    const deadline = Date.now() + 30_000;
    while (!complete() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const subscriber of subscribers) subscriber.stop();
    for (const subscriber of subscribers) {
      expect(subscriber.gaps).toEqual([]);
      expect(subscriber.resets).toEqual([]);
      expect(subscriber.reconnects).toBe(0);
      expect(subscriber.received).toBe(total);
      // The order of each stream is the store's: its seq order of what was acked.
      for (const [stream, ids] of acked) {
        expect(subscriber.ids.get(stream)).toEqual(ids);
        expect(subscriber.seqs.get(stream)).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
      }
    }
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, streams: 8, holes: 0 });
  }, 60_000);
});
