/**
 * Envelopes for the bench: the schema's own minimal fixture with fresh ids. Each
 * call's ids are valid ULIDs that share a 20-character prefix of their own (the
 * time and ten random characters) and end in the event's index in 6 characters of
 * Crockford base32, so a subscriber finds which event arrived from the id's bytes
 * alone (lib/raw-socket `IdScan`): no string, no map lookup per delivery.
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Envelope } from "@events/schema";

const base = JSON.parse(readFileSync(fileURLToPath(new URL("../../../schema/fixtures/valid/Envelope/wp-status-changed.json", import.meta.url)), "utf8")) as Envelope;
let lamport = 0;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** The characters of an id that carry the event's index. */
export const INDEX_CHARS = 6;
/** How many events one call can number. */
const MAX_EVENTS = 32 ** INDEX_CHARS;

/** Events of one call: their ids' shared prefix and their envelopes, `events[i]` ending in index `i`. */
export interface BenchEvents extends Array<Envelope> {
  readonly prefix: string;
}

export function benchEvents(count: number): BenchEvents {
  if (count > MAX_EVENTS) throw new Error(`at most ${MAX_EVENTS} bench events per call`);
  const prefix = encode(Date.now(), 10) + Array.from({ length: 10 }, () => CROCKFORD[randomInt(32)]).join("");
  const events = Array.from({ length: count }, (_, index) => ({ ...base, event_id: prefix + encode(index, INDEX_CHARS), lamport_clock: ++lamport }));
  return Object.assign(events, { prefix });
}

function encode(value: number, length: number): string {
  let text = "";
  for (let rest = value, left = length; left > 0; left--, rest = Math.floor(rest / 32)) text = CROCKFORD[rest % 32] + text;
  return text;
}

/** Each byte's value as a Crockford digit, or -1. */
const DIGITS = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 32; digit++) DIGITS[CROCKFORD.charCodeAt(digit)] = digit;

/** The index an id's last INDEX_CHARS bytes (from `at` in `bytes`) carry, or -1 when they are not base32. */
export function decodeIndex(bytes: Uint8Array, at: number): number {
  let index = 0;
  for (let offset = at; offset < at + INDEX_CHARS; offset++) {
    const digit = DIGITS[bytes[offset]!]!;
    if (digit < 0) return -1;
    index = index * 32 + digit;
  }
  return index;
}
