/**
 * What cluster nodes say to each other over the bus, and its text encoding.
 *
 * `commit`: a node stored seqs `first..last` (contiguous: the store hands out seq
 * without holes). Up to `busMaxMessageBytes` the events travel inline, as a JSON
 * header line followed by one line per stored envelope (JSON text holds no raw
 * newline), so a receiving node frames the bytes it got without serialising again.
 * Larger commits travel as the range alone, and receivers read them from the store.
 *
 * `control`: a token was created or revoked; hubs update their in-memory registry
 * and close what a revoked token holds open.
 */
import { PublishedEvent } from "../broker/published-event.js";

export interface CommitMessage {
  readonly kind: "commit";
  /** The publishing process (not the node id, which an operator may set twice). */
  readonly origin: string;
  readonly first: number;
  readonly last: number;
  /** The events, in seq order; undefined when only the range was sent. */
  readonly events: readonly PublishedEvent[] | undefined;
}

export type ControlMessage =
  | { readonly kind: "token_created"; readonly origin: string; readonly id: string }
  | { readonly kind: "token_revoked"; readonly origin: string; readonly id: string };

type Meta = [eventId: string, project: string | null, channel: string, eventType: string, lamport: number];

interface Header {
  readonly o: string;
  readonly f: number;
  readonly l: number;
  readonly m?: Meta[];
}

/** One message for a commit: events inline when the whole message fits `maxBytes` (UTF-8), else the range alone. */
export function encodeCommit(origin: string, events: readonly PublishedEvent[], maxBytes: number): string {
  const first = events[0]!.seq;
  const last = events.at(-1)!.seq;
  const range = JSON.stringify({ o: origin, f: first, l: last } satisfies Header);
  // The envelopes alone (at least one byte per character) already too large: skip building it.
  let chars = 0;
  for (const event of events) chars += event.json.length;
  if (chars > maxBytes) return range;
  const header: Header = {
    o: origin,
    f: first,
    l: last,
    m: events.map((event): Meta => [event.eventId, event.project, event.channel, event.eventType, event.lamport]),
  };
  const inline = `${JSON.stringify(header)}\n${events.map((event) => event.json).join("\n")}`;
  return Buffer.byteLength(inline) > maxBytes ? range : inline;
}

/** The commit a message announces, or undefined for a malformed one (never throws). */
export function decodeCommit(text: string): CommitMessage | undefined {
  try {
    const lines = text.split("\n");
    const header = JSON.parse(lines[0]!) as Partial<Header>;
    const { o, f, l, m } = header;
    if (typeof o !== "string" || !Number.isSafeInteger(f) || !Number.isSafeInteger(l) || f! < 1 || l! < f!) return undefined;
    if (m === undefined) return { kind: "commit", origin: o, first: f!, last: l!, events: undefined };
    if (!Array.isArray(m) || m.length !== l! - f! + 1 || lines.length !== m.length + 1) return undefined;
    const events = m.map(([eventId, project, channel, eventType, lamport], index) => {
      return new PublishedEvent({ seq: f! + index, eventId, project, channel, eventType, lamport, json: lines[index + 1]! });
    });
    return { kind: "commit", origin: o, first: f!, last: l!, events };
  } catch {
    return undefined;
  }
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
