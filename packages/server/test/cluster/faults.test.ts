/**
 * The faults a cluster must survive, against real servers: a hub node killed with
 * SIGKILL, Redis restarted, PostgreSQL restarted, each while producers and
 * subscribers are attached to every node and events flow into several projects
 * (streams). Each test proves, per stream, that subscribers got every acked event
 * once and in seq order, and that the store holds each event once, without a hole.
 *
 * Redis and PostgreSQL are restarted as private servers of the test's own, run from
 * the machine's binaries (private-services.ts): the shared ones serve the tests
 * running beside these. The crash is real (SIGKILL for Redis, `pg_ctl stop -m
 * immediate` for PostgreSQL, which cuts every session and recovers from the WAL).
 */
import { describe, expect, it, vi } from "vitest";
import { events } from "../helpers/envelopes.js";
import { ackedStreams, projects, publishSpread, ResumingSubscriber, spread } from "./clients.js";
import { health, metric, storedCounts, storedPositions, until } from "./harness.js";
import { privatePostgres, privateRedis } from "./private-services.js";
import { onCleanup, requirePrivateServers, requireServices, testCluster } from "./setup.js";

/** Every subscriber has at least as many events of each stream as were acked. */
function caughtUp(subscribers: readonly ResumingSubscriber[], acked: ReadonlyMap<string, readonly string[]>): boolean {
  return subscribers.every((subscriber) => [...acked].every(([stream, ids]) => (subscriber.ids.get(stream)?.length ?? 0) >= ids.length));
}

/** Per stream, each subscriber got exactly the acked events in seq order 1..n: nothing missed, nothing twice, no gap or reset. */
function expectComplete(subscribers: readonly ResumingSubscriber[], acked: ReadonlyMap<string, readonly string[]>): void {
  for (const subscriber of subscribers) {
    expect(subscriber.gaps).toEqual([]);
    expect(subscriber.resets).toEqual([]);
    expect([...subscriber.ids.keys()].sort()).toEqual([...acked.keys()].sort());
    for (const [stream, ids] of acked) {
      expect(subscriber.ids.get(stream)).toEqual(ids);
      expect(subscriber.seqs.get(stream)).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
    }
  }
}

describe("cluster faults", () => {
  it("a node killed with SIGKILL mid-stream: publishers re-send unacked events to another node and each is stored once; subscribers resume on another node with nothing missed and nothing twice", async (context) => {
    requireServices(context);
    const cluster = await testCluster(3);
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const victim = cluster.nodes[2]!;
    // Two subscribers on the victim, one on each survivor; cut off, they resume on the next node.
    const subscribers = [2, 2, 0, 1].map((first) => new ResumingSubscriber(urls, first));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 9_000;
    let killed: Promise<void> | undefined;
    const result = await publishSpread(spread(events(total), [...projects(5), null]), urls, {
      frameSize: 50,
      inFlight: 3,
      onProgress: (acked) => {
        if (killed !== undefined || acked < total / 3) return;
        for (const subscriber of subscribers) subscriber.forget(victim.wsUrl);
        killed = victim.kill("SIGKILL");
      },
    });
    await killed;
    expect(victim.child.signalCode).toBe("SIGKILL");
    // The victim's frames in flight were cut off unacked and sent again to a survivor.
    expect(result.resent).toBeGreaterThan(0);
    expect(result.storedAt.size).toBe(total);
    expect(result.accepted + result.duplicate).toBe(total);
    const acked = ackedStreams(result.storedAt);
    expect(acked.size).toBe(6);
    await until(() => caughtUp(subscribers, acked), { timeoutMs: 30_000, what: "every subscriber to get every acked event" });
    for (const subscriber of subscribers) subscriber.stop();
    expectComplete(subscribers, acked);
    expect(subscribers[0]!.reconnects).toBeGreaterThanOrEqual(1);
    expect(subscribers[1]!.reconnects).toBeGreaterThanOrEqual(1);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, streams: 6, holes: 0 });
  }, 60_000);

  it("Redis restarted mid-stream: nodes recover without a restart and subscribers see no gap (what the bus lost is read back from the store)", async (context) => {
    requirePrivateServers(context);
    const redis = await privateRedis();
    onCleanup(() => redis.remove());
    const cluster = await testCluster(3, { redisUrl: redis.url });
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const subscribers = urls.map((_, index) => new ResumingSubscriber(urls, index));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 8_000;
    const sent = spread(events(total), [...projects(4), null]);
    const [early, late] = [sent.slice(0, total * 0.6), sent.slice(total * 0.6)];
    const degraded = (): Promise<void> =>
      // Without the bus a node still serves, from the store: degraded, not down.
      vi.waitFor(async () => expect((await health(cluster.nodes[0]!.url)).body).toMatchObject({ status: "degraded", bus: { connected: false } }), {
        timeout: 10_000,
        interval: 50,
      });
    // The first outage ends mid-stream: what it lost is found when later messages show the gap.
    let acked = 0;
    let ackedWhileDown = 0;
    let outage: Promise<void> | undefined;
    const first = await publishSpread(early, urls, {
      frameSize: 20,
      inFlight: 2,
      onProgress: (now) => {
        acked = now;
        if (outage !== undefined || now < early.length / 3) return;
        outage = (async () => {
          await redis.crash();
          const down = acked;
          await degraded();
          await until(() => acked >= (early.length * 2) / 3, { timeoutMs: 20_000, what: "events acked while Redis is down" });
          ackedWhileDown = acked - down;
          await redis.start();
        })();
      },
    });
    await outage;
    expect(ackedWhileDown).toBeGreaterThan(0);
    // Every node is back on the bus by itself, mid-stream.
    await vi.waitFor(
      async () => {
        for (const node of cluster.nodes) expect((await health(node.url)).body).toMatchObject({ bus: { connected: true } });
      },
      { timeout: 15_000, interval: 100 },
    );
    // The second outage spans the end of the stream: no later message shows its gap,
    // so the nodes find it by comparing the store's stream heads with what they delivered.
    await redis.crash();
    await degraded();
    const second = await publishSpread(late, urls, { frameSize: 20, inFlight: 2 });
    await redis.start();
    expect(first.accepted + second.accepted).toBe(total);
    const streams = ackedStreams(new Map([...first.storedAt, ...second.storedAt]));
    await until(() => caughtUp(subscribers, streams), { timeoutMs: 30_000, what: "every subscriber to get every acked event" });
    for (const subscriber of subscribers) subscriber.stop();
    expectComplete(subscribers, streams);
    // The subscribers never noticed: their node filled what the bus lost from the store.
    expect(subscribers.map((subscriber) => subscriber.reconnects)).toEqual([0, 0, 0]);
    await vi.waitFor(
      async () => {
        for (const node of cluster.nodes) {
          expect((await health(node.url)).body).toMatchObject({ status: "ok", bus: { connected: true, lag: 0 } });
          expect(await metric(node.url, "events_bus_reconnects_total")).toBeGreaterThanOrEqual(2);
        }
      },
      { timeout: 15_000, interval: 100 },
    );
    let filled = 0;
    for (const node of cluster.nodes) filled += await metric(node.url, "events_bus_filled_events_total");
    expect(filled).toBeGreaterThan(0);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, streams: 5, holes: 0 });
  }, 60_000);

  it("PostgreSQL restarted (crashed and started again): publishers get errors that say retry, nothing acked is lost, the hub recovers by itself", async (context) => {
    requirePrivateServers(context);
    const postgres = await privatePostgres();
    onCleanup(() => postgres.remove());
    const cluster = await testCluster(2, { databaseUrl: postgres.url });
    const urls = cluster.nodes.map((node) => node.wsUrl);
    const subscribers = urls.map((_, index) => new ResumingSubscriber(urls, index));
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
    const total = 4_000;
    let refused = 0;
    let outage: Promise<void> | undefined;
    const result = await publishSpread(spread(events(total), [...projects(3), null]), urls, {
      frameSize: 20,
      inFlight: 2,
      retryMs: 100,
      onProgress: (acked) => {
        if (outage !== undefined || acked < total / 3) return;
        outage = (async () => {
          await postgres.crash();
          // A node without its store takes itself out of rotation (503) and refuses writes, retryably.
          await vi.waitFor(async () => expect(await health(cluster.nodes[1]!.url)).toMatchObject({ status: 503, body: { status: "unavailable" } }), {
            timeout: 10_000,
            interval: 50,
          });
          await until(() => refused > 0, { timeoutMs: 10_000, what: "a publish refused while PostgreSQL is down" });
          await postgres.start();
        })();
      },
      onRefused: () => refused++,
    });
    await outage;
    expect(result.refusals.length).toBeGreaterThan(0);
    for (const refusal of result.refusals) expect(refusal).toMatch(/^error unavailable: .*retry/);
    // Every event was acked in the end, and the store holds each where its ack said: nothing acked was lost.
    expect(result.storedAt.size).toBe(total);
    expect(await storedPositions(cluster.databaseUrl)).toEqual(result.storedAt);
    expect(await storedCounts(cluster.databaseUrl)).toEqual({ rows: total, distinct: total, streams: 4, holes: 0 });
    const streams = ackedStreams(result.storedAt);
    await until(() => caughtUp(subscribers, streams), { timeoutMs: 30_000, what: "every subscriber to get every acked event" });
    for (const subscriber of subscribers) subscriber.stop();
    expectComplete(subscribers, streams);
    // Nobody restarted the nodes: each answers for its store again.
    for (const node of cluster.nodes) {
      await vi.waitFor(async () => expect(await health(node.url)).toMatchObject({ status: 200, body: { status: "ok", store: { ok: true } } }), {
        timeout: 10_000,
        interval: 100,
      });
    }
  }, 60_000);
});
