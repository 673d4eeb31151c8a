/** Envelopes for the bench: the schema's own minimal fixture with fresh ids. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { monotonicFactory } from "ulid";
import type { Envelope } from "@events/schema";

const ulid = monotonicFactory();
const base = JSON.parse(readFileSync(fileURLToPath(new URL("../../../schema/fixtures/valid/Envelope/wp-status-changed.json", import.meta.url)), "utf8")) as Envelope;
let lamport = 0;

export function benchEvents(count: number): Envelope[] {
  return Array.from({ length: count }, () => ({ ...base, event_id: ulid(), lamport_clock: ++lamport }));
}
