/** Valid envelopes for tests, from @events/schema's fixtures, each with a fresh ULID. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Envelope } from "@events/schema";

const minimal = JSON.parse(readFileSync(fileURLToPath(new URL("../../../schema/fixtures/valid/Envelope/minimal.json", import.meta.url)), "utf8")) as Envelope;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let counter = 0;
let lamport = 0;

/** A ULID: 48 bits of time, then a counter, so ids from one process are unique and sorted. */
export function ulid(): string {
  let time = Date.now();
  let timePart = "";
  for (let index = 0; index < 10; index++) {
    timePart = CROCKFORD[time % 32]! + timePart;
    time = Math.floor(time / 32);
  }
  let rest = ++counter + Math.floor(Math.random() * 2 ** 20) * 2 ** 32;
  let randomPart = "";
  for (let index = 0; index < 16; index++) {
    randomPart = CROCKFORD[rest % 32]! + randomPart;
    rest = Math.floor(rest / 32);
  }
  return timePart + randomPart;
}

export function envelope(overrides: Partial<Record<keyof Envelope, unknown>> = {}): Envelope {
  return { ...minimal, event_id: ulid(), lamport_clock: ++lamport, ...overrides } as Envelope;
}

export function envelopes(count: number, overrides: Partial<Record<keyof Envelope, unknown>> = {}): Envelope[] {
  return Array.from({ length: count }, () => envelope(overrides));
}
