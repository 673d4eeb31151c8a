/**
 * Event ids: ULIDs (48 bits of milliseconds, 80 random bits, Crockford base32) from
 * one monotonic generator per process, so ids made within the same millisecond still
 * sort in the order they were made: the random part of the previous id is incremented.
 *
 * Random bits come from a pool filled from /dev/urandom, read with the `fs` binding a
 * process has loaded anyway. Loading node:crypto (which the `ulid` package imports)
 * or the lazily built Web Crypto object costs a short-lived host command several
 * milliseconds; where /dev/urandom cannot be read (Windows), Web Crypto fills the pool.
 */
import { closeSync, openSync, readSync } from "node:fs";

const ENCODING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

const pool = new Uint8Array(256);
let next = pool.length;

function fillFromUrandom(bytes: Uint8Array): boolean {
  let fd: number | undefined;
  try {
    fd = openSync("/dev/urandom", "r");
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (read <= 0) return false;
      filled += read;
    }
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let useUrandom = process.platform !== "win32";

function refill(): void {
  if (useUrandom && fillFromUrandom(pool)) return;
  useUrandom = false;
  globalThis.crypto.getRandomValues(pool);
}

/** A uniformly random base32 digit (0-31), from the low five bits of a pooled random byte. */
function randomDigit(): number {
  if (next === pool.length) {
    refill();
    next = 0;
  }
  return pool[next++]! & 31;
}

let lastTime = -1;
/** The random part of the last id, as 16 base32 digits. */
const lastRandom = new Array<number>(RANDOM_CHARS).fill(0);

function encodeTime(time: number): string {
  let out = "";
  let rest = time;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ENCODING[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** Adds one to the random part; false when it was all ones (80 bits used up in one millisecond). */
function incrementRandom(): boolean {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    if (lastRandom[i]! < 31) {
      lastRandom[i]! += 1;
      return true;
    }
    lastRandom[i] = 0;
  }
  return false;
}

function nextUlid(now: number): string {
  let time = Math.min(Math.max(Math.floor(now), 0), MAX_TIME);
  if (time <= lastTime) {
    // Same millisecond, or the wall clock stepped back: stay on the last time and count up.
    time = lastTime;
    if (!incrementRandom()) {
      time = Math.min(lastTime + 1, MAX_TIME);
      for (let i = 0; i < RANDOM_CHARS; i++) lastRandom[i] = randomDigit();
    }
  } else {
    for (let i = 0; i < RANDOM_CHARS; i++) lastRandom[i] = randomDigit();
  }
  lastTime = time;
  let random = "";
  for (let i = 0; i < RANDOM_CHARS; i++) random += ENCODING[lastRandom[i]!]!;
  return encodeTime(time) + random;
}

/** A new ULID for an event (or any id that must sort by creation). */
export function newEventId(): string {
  return nextUlid(Date.now());
}

/** A ULID to pass as `causationId` to every event one action causes, grouping them. */
export function generateCausationId(): string {
  return nextUlid(Date.now());
}

/** The generator with an explicit clock, for tests. */
export const ulidAt = nextUlid;
