/**
 * The client's contract, held against a real hub process on each transport: 5,000
 * events spread over several streams (four projects and events without one),
 * published while the subscriber's network is cut at random points and the hub is
 * restarted twice (once gracefully, once with SIGKILL), reach the subscriber each
 * exactly once; in each stream the seqs are 1, 2, 3, ... with no gap, no duplicate
 * and never out of order; the states follow the documented sequence. The
 * random choices come from a seed printed with any failure, so a failure can be
 * replayed with CONFORMANCE_SEED=<seed>.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, spawnHub, type HubProcess } from "@events/server/testing";
import { formatPosition, streamOf } from "@events/schema";
import { createClient, type ClientError, type EventsClient, type StateChange } from "../src/node.js";
import { cutProxy, type CutProxy } from "./helpers/cut-proxy.js";
import { envelope, envelopes } from "./helpers/envelopes.js";
import { until } from "./helpers/hub.js";

const EVENTS = 5_000;
const ADMIN = "conformance-admin-token";
const PROJECTS = ["6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", "0b6f3d2a-9c1e-4f5a-8b7d-1e2f3a4b5c6d", "c0ffee00-1234-4abc-8def-0123456789ab", "9e8d7c6b-5a49-4382-9170-fedcba987654", null];

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** The documented state grammar: connecting:connect first, connected only after connecting, disconnected:disconnect last. */
function checkStates(states: readonly StateChange[]): void {
  expect(states[0]).toMatchObject({ state: "connecting", reason: "connect", previous: "disconnected" });
  expect(states.at(-1)).toMatchObject({ state: "disconnected", reason: "disconnect" });
  for (const change of states.slice(1, -1)) {
    if (change.state === "connected") expect(change).toMatchObject({ previous: "connecting", reason: "connected" });
    else expect(change.state).toBe("connecting");
    if (change.state === "connecting") expect(["transport_closed", "hub_going_away", "no_heartbeat", "slow_consumer"]).toContain(change.reason);
  }
}

describe.each(["websocket", "sse"] as const)("conformance over %s", (transport) => {
  it(`${EVENTS} events over ${PROJECTS.length} streams, random network cuts and two hub restarts: 0 gaps, 0 duplicates per stream, states as documented`, async () => {
    const seed = Number(process.env["CONFORMANCE_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
    const random = seeded(seed);
    const context = `(seed ${seed}; replay with CONFORMANCE_SEED=${seed})`;
    const dir = mkdtempSync(join(tmpdir(), "events-conformance-"));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const port = await freePort();
    const args = ["--host", "127.0.0.1", "--port", String(port), "--data-dir", join(dir, "data"), "--no-socket"];
    const env = { EVENTS_ADMIN_TOKEN: ADMIN, EVENTS_LOG_LEVEL: "warn" };
    let hub: HubProcess = await spawnHub({ args, env });
    cleanups.push(() => hub.kill("SIGKILL"));
    const proxy: CutProxy = await cutProxy(port);
    cleanups.push(() => proxy.close());

    const backoff = { minDelayMs: 10, maxDelayMs: 250 };
    const reader: EventsClient = createClient({ url: proxy.url, token: ADMIN, transport, backoff, name: "conformance-reader" });
    const states: StateChange[] = [];
    reader.on("state", (change) => states.push(change));
    const seen: string[] = [];
    const seqs = new Map<string, number[]>();
    // The admin token without `project`: every project's stream and the stream of events without one.
    const sub = reader.subscribe("events", { since: "" });
    sub.on("event", (delivery) => {
      seen.push(delivery.event.event_id);
      const stream = seqs.get(delivery.stream) ?? [];
      stream.push(delivery.seq);
      seqs.set(delivery.stream, stream);
    });
    const refusal = new Promise<ClientError>((resolve) => reader.subscribe("nonsense:channel").on("error", resolve));
    reader.connect();
    expect((await refusal).code, context).toBe("unknown_channel");

    const publisher = createClient({ url: hub.url, token: ADMIN, transport: "websocket", backoff, name: "conformance-publisher" });
    publisher.connect();
    cleanups.push(() => {
      reader.disconnect();
      publisher.disconnect();
      return Promise.resolve();
    });
    const all = envelopes(EVENTS).map((event) => ({ ...event, project_uuid: PROJECTS[Math.floor(random() * PROJECTS.length)] ?? null }));
    const restartAt = new Set([Math.floor(EVENTS / 3), Math.floor((2 * EVENTS) / 3)]);
    let restarts = 0;
    let sent = 0;
    let nextCut = 100 + Math.floor(random() * 400);
    while (sent < EVENTS) {
      const size = Math.min(EVENTS - sent, 1 + Math.floor(random() * 40));
      const batch = all.slice(sent, sent + size);
      // Retried until stored: across a restart the hub may have stored it before dying, and answers `duplicate`.
      for (let attempt = 0; ; attempt++) {
        try {
          await publisher.ready(30_000);
          const answer = await publisher.publish(batch, { timeoutMs: 10_000 });
          expect(answer.results.every((result) => result.status === "accepted" || result.status === "duplicate"), context).toBe(true);
          break;
        } catch (error) {
          if (attempt > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const before = sent;
      sent += size;
      if (sent >= nextCut) {
        proxy.cut();
        nextCut = sent + 100 + Math.floor(random() * 400);
      }
      for (const at of restartAt) {
        if (before < at && sent >= at) {
          // Once gracefully (the hub says goodbye: 1001 / SSE `end`), once with SIGKILL (it says nothing).
          await hub.kill(restarts === 0 ? "SIGTERM" : "SIGKILL");
          restarts++;
          hub = await spawnHub({ args, env });
        }
      }
    }
    await until(() => seen.length >= EVENTS, `all ${EVENTS} events at the reader (${seen.length} so far) ${context}`, 60_000);
    // Anything late would be a duplicate: give it a moment to show, bounded by a round trip.
    const marker = envelope({ project_uuid: PROJECTS[0] });
    await publisher.publish([marker]);
    await until(() => seen.length >= EVENTS + 1, `the marker event ${context}`, 30_000);
    reader.disconnect();

    const published = new Set(all.map((event) => event.event_id));
    const unique = new Set(seen);
    const duplicates = seen.length - unique.size;
    const missing = [...published].filter((id) => !unique.has(id)).length;
    expect({ duplicates, missing, restarts }, context).toEqual({ duplicates: 0, missing: 0, restarts: 2 });
    // Each stream's seqs are exactly 1..n in delivery order: strictly increasing, no gap, no duplicate.
    const perStream = new Map<string, number>();
    for (const event of [...all, marker]) perStream.set(streamOf(event.project_uuid), (perStream.get(streamOf(event.project_uuid)) ?? 0) + 1);
    expect([...seqs.keys()].sort(), context).toEqual([...perStream.keys()].sort());
    for (const [stream, count] of perStream) {
      const delivered = seqs.get(stream) ?? [];
      const contiguous = delivered.length === count && delivered.every((seq, index) => seq === index + 1);
      expect(contiguous, `stream ${stream}: ${count} events as seqs 1..${count} in order ${context}`).toBe(true);
    }
    expect(sub.position, context).toBe(formatPosition(perStream));
    expect(proxy.cuts, context).toBeGreaterThan(3);
    checkStates(states);
    expect(states.filter((change) => change.state === "connected").length, context).toBeGreaterThanOrEqual(restarts + 3);
  });
});
