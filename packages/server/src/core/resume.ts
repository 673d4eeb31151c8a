/**
 * Subscribe with resume, without gap or duplicate in any stream across the switch
 * to live:
 *  1. the subscriber is registered first, holding live events back;
 *  2. history after the position is read from the store page by page and sent;
 *  3. held-back events newer than the position (per stream) go out, then live.
 * Every event committed before step 1 is in the store when step 2 reads it; every
 * event committed after is published after, so it is held back. If held-back events
 * overflow the queue limits they are dropped and step 2 simply reads further.
 * Where a stream's position can no longer be served (pruned, or ahead of its head)
 * the subscription continues from the nearest position it can serve and says so in
 * one explicit reset naming those streams, never a silent gap. The retention
 * watermarks are read from the store (whichever hub pruned) after each page: a page
 * read before a prune is complete, and one read after it is caught by a watermark.
 */
import { CLOSE_CODES, type Position } from "@events/schema";
import type { Broker } from "../broker/broker.js";
import { PublishedEvent } from "../broker/published-event.js";
import type { Subscriber, SubscriberFilter } from "../broker/subscriber.js";
import type { HubStore } from "../store/hub-store.js";
import type { StoredEvent } from "../store/records.js";

const PAGE = 500;
/** Streams a reset's message names one by one; past this it counts them. */
const NAMED_STREAMS = 4;

export interface ResetInfo {
  readonly reason: "position_unavailable" | "position_ahead";
  /** The streams whose position moved, in token order. */
  readonly streams: readonly string[];
  readonly message: string;
}

export interface Opened {
  /** Delivery continues after this position (a token; after the reset when there is one). */
  readonly position: string;
  readonly reset?: ResetInfo;
}

/** Where a subscription starts: after a position, after a protocol-1 seq, or live only (undefined). */
export type Since = Position | number | undefined;

export interface ResumeRequest {
  readonly subscriber: Subscriber;
  readonly filter: SubscriberFilter;
  readonly since: Since;
  /** Sends the transport's opening frames (subscribed / ready, then reset). */
  readonly opened: (opened: Opened) => void;
}

export interface ResumeDeps {
  readonly store: HubStore;
  readonly broker: Broker;
  /** Per stream, events up to this seq were pruned and can no longer be replayed (from the store: any hub may prune). */
  readonly prunedThrough: () => Promise<Position>;
  /**
   * A protocol-1 seq as a per-stream position; undefined when it cannot be
   * translated (it names nothing this store handed out, or events since then were pruned).
   */
  readonly legacyPosition: (seq: number) => Promise<Position | undefined>;
  /**
   * The store's newest seq per stream. A cluster node asks it when a position is
   * ahead of what it has delivered: another node may have stored (and served) it.
   */
  readonly storeHeads?: () => Promise<Position>;
}

/** Runs the replay; the subscriber must have been registered with the broker just before. */
export async function resume(deps: ResumeDeps, request: ResumeRequest): Promise<void> {
  const { subscriber, since, filter } = request;
  // Read now, when the subscriber has just been registered: every later event is offered to it.
  const heads = scoped(deps.broker.heads, filter);
  if (since === undefined) {
    subscriber.position.replace(heads);
    request.opened({ position: subscriber.position.token() });
    return;
  }
  subscriber.startReplay();
  try {
    const start = typeof since === "number" ? await deps.legacyPosition(since) : since;
    if (start !== undefined) {
      await replayFrom(deps, request, { start: scoped(start, filter), heads });
    } else if (!subscriber.closed) {
      // A protocol-1 seq this store cannot translate: nothing to replay, live from the heads.
      subscriber.position.replace(heads);
      request.opened({ position: subscriber.position.token(), reset: legacyReset(Number(since), heads) });
    }
  } finally {
    subscriber.finishReplay();
  }
}

async function replayFrom(deps: ResumeDeps, request: ResumeRequest, from: { start: Position; heads: Position }): Promise<void> {
  const { subscriber, filter } = request;
  const { start } = from;
  let heads = from.heads;
  if (deps.storeHeads !== undefined && isAhead(start, heads)) heads = highest(heads, scoped(await deps.storeHeads(), filter));
  if (subscriber.closed) return;
  // The first page is read before the watermarks, so a prune that commits in between
  // is seen (and answered with a reset), not skipped silently.
  const epoch = subscriber.replayEpoch;
  const first = await page(deps.store, request, lowest(start, heads));
  const { cursor, reset } = positionOf(start, heads, scoped(await deps.prunedThrough(), filter));
  subscriber.position.replace(cursor);
  const position = subscriber.position.token();
  request.opened(reset === undefined ? { position } : { position, reset });
  await replay(deps, request, { rows: first, epoch });
}

/** Per stream: where delivery continues, and the reset that says which streams moved. */
function positionOf(start: Position, heads: Position, pruned: Position): { cursor: Map<string, number>; reset?: ResetInfo } {
  const cursor = new Map<string, number>();
  const ahead: string[] = [];
  const unavailable: string[] = [];
  for (const stream of new Set([...start.keys(), ...pruned.keys()])) {
    const wanted = start.get(stream) ?? 0;
    const head = heads.get(stream) ?? 0;
    const through = pruned.get(stream) ?? 0;
    if (wanted > head) {
      cursor.set(stream, head);
      ahead.push(stream);
    } else if (wanted < through) {
      cursor.set(stream, through);
      unavailable.push(stream);
    } else {
      cursor.set(stream, wanted);
    }
  }
  if (ahead.length === 0 && unavailable.length === 0) return { cursor };
  const streams = [...ahead, ...unavailable].sort();
  const parts: string[] = [];
  if (unavailable.length > 0) {
    parts.push(`events up to ${positions(unavailable, pruned)} are no longer kept (retention): events between your position and those were lost; re-read that state elsewhere`);
  }
  if (ahead.length > 0) {
    parts.push(`${positions(ahead, start)} is ahead of this hub's newest events (${positions(ahead, heads)}): your position belongs to another history; rebuild state from this hub`);
  }
  const message = `${parts.join("; ")}. Delivery continues from the reset's position in those streams, and exactly where asked in the others.`;
  return {
    cursor,
    reset: { reason: unavailable.length > 0 ? "position_unavailable" : "position_ahead", streams, message: clip(message) },
  };
}

function legacyReset(seq: number, heads: Position): ResetInfo {
  return {
    reason: "position_unavailable",
    streams: [...heads.keys()].filter((stream) => (heads.get(stream) ?? 0) > 0).sort(),
    message:
      `since ${seq} is a protocol-1 position (one seq for the whole log) that this hub cannot translate: protocol-1 positions ` +
      "from before per-stream positions cannot be resumed here. Delivery continues from every stream's newest event (the reset's " +
      "position); re-read state elsewhere, then resume with the position tokens this hub sends.",
  };
}

/** `stream:seq` of the first few streams, then how many more. */
function positions(streams: readonly string[], position: Position): string {
  const named = [...streams].sort().slice(0, NAMED_STREAMS).map((stream) => `${stream}:${position.get(stream) ?? 0}`);
  const more = streams.length - named.length;
  return more > 0 ? `${named.join(",")} (and ${more} more streams)` : named.join(",");
}

function clip(message: string): string {
  return message.length <= 1024 ? message : `${message.slice(0, 1020)}...`;
}

async function replay(deps: ResumeDeps, request: ResumeRequest, first: { rows: StoredEvent[]; epoch: number }): Promise<void> {
  const { subscriber, filter } = request;
  let { rows, epoch } = first;
  for (;;) {
    for (const row of rows) {
      if (subscriber.closed) return;
      await subscriber.writable();
      subscriber.replay(new PublishedEvent(row));
    }
    if (subscriber.closed) return;
    if (rows.length < PAGE && subscriber.replayEpoch === epoch) return;
    const after = subscriber.position.snapshot();
    epoch = subscriber.replayEpoch;
    rows = await page(deps.store, request, after);
    for (const [stream, through] of scoped(await deps.prunedThrough(), filter)) {
      if (through <= (after.get(stream) ?? 0)) continue;
      // Pruned under a replay that had already started: it can no longer be answered
      // with a reset, so the subscriber is closed and resumes (and is reset) anew.
      subscriber.close(CLOSE_CODES.internalError, `stream ${stream} was pruned during replay; resubscribe from the same position`);
      return;
    }
  }
}

function page(store: HubStore, request: ResumeRequest, after: Position): Promise<StoredEvent[]> {
  return store.readAfter({ after, limit: PAGE, channel: request.filter.channel, project: request.filter.project });
}

/** The streams a subscription reads: one project's, or all. */
function scoped(position: Position, filter: SubscriberFilter): Map<string, number> {
  const project = filter.project;
  if (project === undefined) return new Map(position);
  const seq = position.get(project);
  return new Map<string, number>(seq === undefined ? [] : [[project, seq]]);
}

function isAhead(position: Position, heads: Position): boolean {
  for (const [stream, seq] of position) if (seq > (heads.get(stream) ?? 0)) return true;
  return false;
}

/** Per stream, the higher of the two. */
function highest(a: Position, b: Position): Map<string, number> {
  const result = new Map(a);
  for (const [stream, seq] of b) if (seq > (result.get(stream) ?? 0)) result.set(stream, seq);
  return result;
}

/** `position` with each stream capped at its head. */
function lowest(position: Position, heads: Position): Map<string, number> {
  const result = new Map<string, number>();
  for (const [stream, seq] of position) result.set(stream, Math.min(seq, heads.get(stream) ?? 0));
  return result;
}
