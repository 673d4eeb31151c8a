/**
 * Three hub processes on one PostgreSQL and one Redis behave as one hub: events
 * published to any node reach the subscribers of every node, in the same order,
 * once; a node killed with SIGKILL loses nothing and duplicates nothing.
 */
import { describe, expect, it, vi } from "vitest";
import { events } from "../helpers/envelopes.js";
import { publishSpread, ResumingSubscriber, storedCounts } from "./harness.js";
import { requireServices, testCluster } from "./setup.js";

/** Every subscriber got exactly seq 1..total (the store hands out seq without holes), so no gap and no duplicate. */
function expectComplete(subscribers: readonly ResumingSubscriber[], total: number): void {
  const expected = Array.from({ length: total }, (_, index) => index + 1);
  const reference = subscribers[0]!.ids;
  for (const subscriber of subscribers) {
    expect(subscriber.gaps).toEqual([]);
    expect(subscriber.resets).toEqual([]);
    expect(subscriber.seqs.length).toBe(total);
    expect(subscriber.seqs).toEqual(expected);
    expect(new Set(subscriber.ids).size).toBe(total);
    expect(subscriber.ids).toEqual(reference);
  }
}

describe("cluster delivery", () => {
  it("delivers 30,000 events spread over three nodes to the subscribers of every node, in the same order, none twice", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const subscribers = urls.map((_, index) => new ResumingSubscriber(urls, index));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 30_000;
    const batch = events(total);
    const result = await publishSpread(batch, urls, { frameSize: 100, inFlight: 4 });
    expect(result.accepted).toBe(total);
    expect(result.duplicate).toBe(0);
    await vi.waitFor(() => expect(subscribers.every((subscriber) => subscriber.seqs.length >= total)).toBe(true), { timeout: 30_000, interval: 50 });
    for (const subscriber of subscribers) subscriber.stop();
    expectComplete(subscribers, total);
    expect(subscribers.map((subscriber) => subscriber.reconnects)).toEqual([0, 0, 0]);
    // The order is the store's: seq order of what was acked.
    expect(subscribers[0]!.ids.map((id) => result.seqOf.get(id))).toEqual(subscribers[0]!.seqs);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, maxSeq: total });
  }, 90_000);

  it("survives a node killed with SIGKILL mid-stream: its subscribers resume on another node, producers retry there, nothing lost or stored twice", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const victim = cluster.nodes[2]!;
    // Two subscribers on the victim, one on each survivor; they resume on the next node when cut off.
    const subscribers = [new ResumingSubscriber(urls, 2), new ResumingSubscriber(urls, 2), new ResumingSubscriber(urls, 0), new ResumingSubscriber(urls, 1)];
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 12_000;
    let killed: Promise<void> | undefined;
    const result = await publishSpread(events(total), urls, {
      frameSize: 50,
      inFlight: 4,
      onProgress: (acked) => {
        if (killed === undefined && acked >= total / 3) {
          for (const subscriber of subscribers) subscriber.forget(victim.wsUrl);
          killed = victim.kill("SIGKILL");
        }
      },
    });
    await killed;
    expect(victim.child.signalCode).toBe("SIGKILL");
    expect(result.seqOf.size).toBe(total);
    expect(result.accepted + result.duplicate).toBe(total);
    await vi.waitFor(() => expect(subscribers.every((subscriber) => subscriber.seqs.length >= total)).toBe(true), { timeout: 30_000, interval: 50 });
    for (const subscriber of subscribers) subscriber.stop();
    expectComplete(subscribers, total);
    expect(subscribers[0]!.reconnects).toBeGreaterThanOrEqual(1);
    expect(subscribers[1]!.reconnects).toBeGreaterThanOrEqual(1);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, maxSeq: total });
  }, 90_000);
});
