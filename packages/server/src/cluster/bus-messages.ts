/**
 * What cluster nodes say to each other over the bus, and its text encoding.
 *
 * `commit`: a node stored some events in one transaction. A commit may hold several
 * streams; within each it is a contiguous run of seqs (the store hands out a stream's
 * seqs without holes), so the header names runs `[stream, first, last]` and the
 * events follow in run order, each one's (stream, seq) implied by its place. Up to
 * `busMaxMessageBytes` the events travel inline, as a JSON header line followed by
 * one line per stored envelope (JSON text holds no raw newline), so a receiving node
 * frames the bytes it got without serialising again. Larger commits travel as the
 * runs alone, and receivers read them from the store.
 *
 * `control`: a token was created or revoked; hubs update their in-memory registry
 * and close what a revoked token holds open.
 *
 * Decoding never throws: a malformed message decodes to undefined (and its events
 * are then found by the gap fill, like a lost one).
 */
import { isStreamId, projectOfStream } from "@events/schema";
import { PublishedEvent } from "../broker/published-event.js";
import type { FeedBatch } from "./ordered-feed.js";

export interface CommitMessage {
  readonly kind: "commit";
  /** The publishing process (not the node id, which an operator may set twice). */
  readonly origin: string;
  /** One batch per run, events inline or undefined (read them from the store). */
  readonly batches: readonly FeedBatch[];
}

export type ControlMessage =
  | { readonly kind: "token_created"; readonly origin: string; readonly id: string }
  | { readonly kind: "token_revoked"; readonly origin: string; readonly id: string };

/** A contiguous range of one stream: `[stream, first, last]`. */
export type Run = [stream: string, first: number, last: number];

/** A run and its events, in seq order. */
export interface RunOfEvents {
  readonly run: Run;
  readonly events: readonly PublishedEvent[];
}
/** What a line's envelope does not say cheaply: the rest comes from its run (stream, seq, project). */
type Meta = [eventId: string, channel: string, eventType: string, lamport: number];

interface Header {
  readonly o: string;
  readonly r: Run[];
  readonly m?: Meta[];
}

/** A commit's events as runs: grouped by stream, in seq order, split where seqs are not contiguous (repeats dropped). */
export function runsOf(events: readonly PublishedEvent[]): RunOfEvents[] {
  const byStream = new Map<string, PublishedEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.stream);
    if (list === undefined) byStream.set(event.stream, [event]);
    else list.push(event);
  }
  const runs: { run: Run; events: PublishedEvent[] }[] = [];
  for (const [stream, list] of byStream) {
    list.sort((a, b) => a.seq - b.seq);
    let current: { run: Run; events: PublishedEvent[] } | undefined;
    for (const event of list) {
      if (current !== undefined && event.seq === current.run[2] + 1) {
        current.run[2] = event.seq;
        current.events.push(event);
      } else if (current === undefined || event.seq > current.run[2]) {
        current = { run: [stream, event.seq, event.seq], events: [event] };
        runs.push(current);
      }
    }
  }
  return runs;
}

/** One message for a commit (its `runsOf`): events inline when the whole message fits `maxBytes` (UTF-8), else the runs alone. */
export function encodeCommit(origin: string, runs: readonly RunOfEvents[], maxBytes: number): string {
  const r = runs.map(({ run }) => run);
  const ranges = JSON.stringify({ o: origin, r } satisfies Header);
  // The envelopes alone (at least one byte per character) already too large: skip building it.
  let chars = 0;
  for (const run of runs) for (const event of run.events) chars += event.json.length;
  if (chars > maxBytes) return ranges;
  const ordered = runs.flatMap((run) => run.events);
  const header: Header = { o: origin, r, m: ordered.map((event): Meta => [event.eventId, event.channel, event.eventType, event.lamport]) };
  const inline = `${JSON.stringify(header)}\n${ordered.map((event) => event.json).join("\n")}`;
  return Buffer.byteLength(inline) > maxBytes ? ranges : inline;
}

/** The commit a message announces, or undefined for a malformed one (never throws). */
export function decodeCommit(text: string): CommitMessage | undefined {
  try {
    const lines = text.split("\n");
    const { o, r, m } = JSON.parse(lines[0]!) as Partial<Header>;
    if (typeof o !== "string" || !Array.isArray(r) || r.length === 0 || !r.every(isRun)) return undefined;
    if (m === undefined) {
      if (lines.length !== 1) return undefined;
      return { kind: "commit", origin: o, batches: r.map(([stream, first, last]) => ({ stream, first, last, events: undefined })) };
    }
    const total = r.reduce((sum, [, first, last]) => sum + last - first + 1, 0);
    if (!Array.isArray(m) || m.length !== total || lines.length !== total + 1 || !m.every(isMeta)) return undefined;
    let line = 0;
    const batches = r.map(([stream, first, last]): FeedBatch => {
      const project = projectOfStream(stream);
      const events: PublishedEvent[] = [];
      for (let seq = first; seq <= last; seq++, line++) {
        const [eventId, channel, eventType, lamport] = m[line]!;
        events.push(new PublishedEvent({ stream, seq, eventId, project, channel, eventType, lamport, json: lines[line + 1]! }));
      }
      return { stream, first, last, events };
    });
    return { kind: "commit", origin: o, batches };
  } catch {
    return undefined;
  }
}

function isRun(value: unknown): value is Run {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [stream, first, last] = value as unknown[];
  return isStreamId(stream) && Number.isSafeInteger(first) && Number.isSafeInteger(last) && (first as number) >= 1 && (last as number) >= (first as number);
}

function isMeta(value: unknown): value is Meta {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const [eventId, channel, eventType, lamport] = value as unknown[];
  return typeof eventId === "string" && typeof channel === "string" && typeof eventType === "string" && typeof lamport === "number";
}

export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

export function decodeControl(text: string): ControlMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<ControlMessage>;
    if (typeof value.origin !== "string" || typeof value.id !== "string") return undefined;
    if (value.kind === "token_created" || value.kind === "token_revoked") return { kind: value.kind, origin: value.origin, id: value.id };
    return undefined;
  } catch {
    return undefined;
  }
}
