/**
 * Event ids: ULIDs from one monotonic factory per process, so ids made within the
 * same millisecond still sort in the order they were made. The factory is given
 * node:crypto's generator: left to detect one, `ulid` reaches for the global Web
 * Crypto object, whose lazy loading costs a short-lived host several milliseconds.
 */
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

const pool = new Uint8Array(256);
let next = pool.length;

/** A uniform value in [0, 1) from a pooled, cryptographically random byte. */
function randomByte(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
}

const nextUlid = monotonicFactory(randomByte);

/** A new ULID for an event (or any id that must sort by creation). */
export function newEventId(): string {
  return nextUlid();
}

/** A ULID to pass as `causationId` to every event one action causes, grouping them. */
export function generateCausationId(): string {
  return nextUlid();
}
