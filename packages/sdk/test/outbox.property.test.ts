/**
 * Any interleaving of claim / ack / nack / release / crash-and-release, by several
 * syncers over one real queue.db, never loses or duplicates a row: at every step the
 * rows in the outbox, the dead letters and the acked set are disjoint and together
 * exactly what was emitted; no row is under two live leases; nothing is acked twice.
 */
import Database from "better-sqlite3";
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEmitter, type Emitter } from "../src/index.js";
import { statusChange } from "./helpers/payloads.js";
import { tempWorkspace } from "./helpers/temp-dir.js";

const SYNCERS = 2;

type Op =
  | { kind: "emit"; count: number }
  | { kind: "claim"; syncer: number; limit: number; leaseMs: number }
  /** `picks: null` means every row the syncer holds. */
  | { kind: "ack" | "nack" | "release"; syncer: number; picks: number[] | null }
  | { kind: "crash" | "releaseExpired" | "requeue"; syncer: number }
  | { kind: "advance"; ms: number };

const syncer = fc.nat({ max: SYNCERS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("emit" as const), count: fc.integer({ min: 1, max: 4 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("claim" as const), syncer, limit: fc.integer({ min: 1, max: 5 }), leaseMs: fc.integer({ min: 5, max: 60 }) }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom("ack" as const, "nack" as const, "nack" as const, "release" as const),
      syncer,
      picks: fc.option(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { freq: 2 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constantFrom("crash" as const, "releaseExpired" as const, "requeue" as const), syncer }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 40 }) }), weight: 2 },
);

interface Held {
  /** Lease expiry by id, as this syncer was told at claim time. */
  leases: Map<string, number>;
}

function run(maxRetries: number, ops: readonly Op[]): void {
  const { home, projectRoot } = tempWorkspace();
  let now = 1_000_000;
  const open = (): Emitter =>
    createEmitter({ home, projectRoot, project: null, exitHook: false, maxRetries, now: () => now });
  const producer = open();
  producer.clock(); // creates queue.db
  const syncers = Array.from({ length: SYNCERS }, open);
  const held: Held[] = syncers.map(() => ({ leases: new Map() }));
  /** Leases of crashed syncers: still in queue.db until they expire. */
  const ghosts: Held[] = [];
  const emitted = new Set<string>();
  const acked = new Set<string>();
  const reader = () => new Database(join(home, "queue.db"), { readonly: true });

  const pick = (s: number, picks: number[] | null): string[] => {
    const ids = [...held[s]!.leases.keys()];
    if (picks === null) return ids;
    const extra = [...emitted];
    // Mostly ids the syncer holds, sometimes any id (which it must not be able to touch).
    return picks.map((p) => (p % 5 === 4 && extra.length > 0 ? extra[p % extra.length]! : ids[p % Math.max(ids.length, 1)])).filter((id): id is string => id !== undefined);
  };
  const holders = (id: string): number =>
    [...held, ...ghosts].filter((h) => (h.leases.get(id) ?? -Infinity) > now).length;

  const check = (): void => {
    const db = reader();
    try {
      const outbox = db.prepare<[], string>("SELECT event_id FROM outbox").pluck().all();
      const dead = db.prepare<[], string>("SELECT event_id FROM dead_letters").pluck().all();
      const live = db.prepare<[number], string>("SELECT event_id FROM outbox WHERE lease_until > ?").pluck().all(now);
      const all = [...outbox, ...dead, ...acked];
      expect(new Set(all).size, "a row is in two places").toBe(all.length);
      expect(new Set(all), "a row was lost or invented").toEqual(emitted);
      for (const id of live) expect(holders(id), `row ${id} is held by ${holders(id)} live leases`).toBe(1);
    } finally {
      db.close();
    }
  };

  try {
    for (const step of ops) {
      switch (step.kind) {
        case "emit":
          for (let i = 0; i < step.count; i++) {
            const result = producer.emitWpStatusChanged(statusChange(i));
            if (!result.ok || !result.durable) throw new Error("emit failed");
            emitted.add(result.event.event_id);
          }
          break;
        case "claim":
          for (const row of syncers[step.syncer]!.outbox.claim(step.limit, { leaseMs: step.leaseMs })) {
            expect(holders(row.id), `row ${row.id} claimed while under a live lease`).toBe(0);
            expect(acked.has(row.id)).toBe(false);
            held[step.syncer]!.leases.set(row.id, row.leaseUntil);
          }
          break;
        case "ack":
          for (const id of syncers[step.syncer]!.outbox.ack(pick(step.syncer, step.picks))) {
            expect(acked.has(id), `row ${id} acked twice`).toBe(false);
            expect(held[step.syncer]!.leases.has(id), "acked a row it never claimed").toBe(true);
            acked.add(id);
            held[step.syncer]!.leases.delete(id);
          }
          break;
        case "nack": {
          const result = syncers[step.syncer]!.outbox.nack(pick(step.syncer, step.picks), "rejected");
          for (const id of [...result.retried, ...result.deadLettered]) {
            expect(held[step.syncer]!.leases.has(id), "nacked a row it never claimed").toBe(true);
            held[step.syncer]!.leases.delete(id);
          }
          break;
        }
        case "release":
          for (const id of syncers[step.syncer]!.outbox.release(pick(step.syncer, step.picks))) held[step.syncer]!.leases.delete(id);
          break;
        case "crash":
          // The syncer dies holding its leases; a new one takes its place.
          ghosts.push(held[step.syncer]!);
          syncers[step.syncer] = open();
          held[step.syncer] = { leases: new Map() };
          break;
        case "releaseExpired":
          syncers[step.syncer]!.outbox.releaseExpired();
          for (const h of [...held, ...ghosts]) for (const [id, until] of h.leases) if (until <= now) h.leases.delete(id);
          break;
        case "requeue":
          syncers[step.syncer]!.outbox.requeueDeadLetters();
          break;
        case "advance":
          now += step.ms;
          break;
      }
      check();
    }
  } finally {
    for (const emitter of [producer, ...syncers]) void emitter.close();
  }
}

describe("outbox under any interleaving of syncers", () => {
  it("never loses or duplicates a row, never double-leases, never double-acks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.array(op, { minLength: 15, maxLength: 60 }), (maxRetries, ops) => run(maxRetries, ops)),
      { numRuns: 120 },
    );
  });
});
