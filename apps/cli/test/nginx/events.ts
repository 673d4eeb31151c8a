/**
 * Valid envelopes from @events/schema's own fixtures, each with a fresh event id,
 * and the gzip batch POST that sends them (what the SDK and spec-kitty's client do).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { batchResponseCodec, errorResponseCodec, type Envelope, type ErrorResponse } from "@events/schema";

const fixtures = join(dirname(createRequire(import.meta.url).resolve("@events/schema/package.json")), "fixtures", "valid", "Envelope");
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lamport = 0;

function fixture(name: string): Envelope {
  return JSON.parse(readFileSync(join(fixtures, `${name}.json`), "utf8")) as Envelope;
}

/** A ULID-shaped id: "01", then 24 random Crockford base32 characters. */
function eventId(): string {
  return `01${Array.from(randomBytes(24), (byte) => CROCKFORD[byte % 32]).join("")}`;
}

function fresh(name: string, overrides: Record<string, unknown> = {}): Envelope {
  lamport++;
  return { ...fixture(name), event_id: eventId(), lamport_clock: lamport, ...overrides };
}

/** `count` WPAssigned events (channel `events`, no project). */
export function wpEvents(count: number): Envelope[] {
  return Array.from({ length: count }, () => fresh("minimal"));
}

/** A frame of session `id` (`phase` by default, or `failed`, which ends the session). */
export function sessionEvent(id: string, kind: "phase" | "failed"): Envelope {
  return fresh(kind === "phase" ? "session-phase" : "session-failed", { aggregate_id: id });
}

/** A problems snapshot in the fixture's project. */
export function problemsSnapshot(): Envelope {
  return fresh("problems-snapshot");
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

/** POSTs `body` (JSON text, or bytes) to /api/v1/events/batch with a Bearer token. */
export async function postBatch(base: string, options: { token: string; body: string | Buffer; gzip?: boolean }): Promise<Answer> {
  const body = options.gzip === true ? gzipSync(options.body) : options.body;
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  if (options.gzip === true) headers["content-encoding"] = "gzip";
  const response = await fetch(`${base}/api/v1/events/batch`, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as unknown };
}

/** Publishes `events` as one gzip batch and returns their seqs (each in its stream); throws unless every one is accepted. */
export async function publish(base: string, token: string, events: readonly Envelope[]): Promise<number[]> {
  const answer = await postBatch(base, { token, body: JSON.stringify({ events }), gzip: true });
  const decoded = batchResponseCodec.decode(answer.json);
  if (answer.status !== 200 || !decoded.ok) throw new Error(`batch refused: ${answer.status} ${JSON.stringify(answer.json)}`);
  return decoded.value.results.map((result) => {
    if (result.status !== "accepted") throw new Error(`event not accepted: ${JSON.stringify(result)}`);
    return result.seq;
  });
}

/** The body as an ErrorResponse; throws when it is not one. */
export function errorResponse(json: unknown): ErrorResponse {
  const decoded = errorResponseCodec.decode(json);
  if (!decoded.ok) throw new Error(`not an ErrorResponse: ${JSON.stringify(json)}`);
  return decoded.value;
}
