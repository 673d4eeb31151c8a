/**
 * Subscribe with resume, without gap or duplicate across the switch to live:
 *  1. the subscriber is registered first, holding live frames back;
 *  2. history after the position is read from the store page by page and sent;
 *  3. held-back frames newer than the last one sent go out, then live.
 * Every event committed before step 1 is in the store when step 2 reads it; every
 * event committed after is published after, so it is held back. If held-back frames
 * overflow the queue limits they are dropped and step 2 simply reads further.
 * A position the store no longer serves (pruned, or ahead of the head) is answered
 * with an explicit reset, never a silent gap. The retention watermark is read from
 * the store (whichever hub pruned) after each page: a page read before a prune is
 * complete, and one read after it is caught by the watermark.
 */
import type { Broker } from "../broker/broker.js";
import { PublishedEvent } from "../broker/published-event.js";
import type { Subscriber, SubscriberFilter } from "../broker/subscriber.js";
import { CLOSE_CODES } from "@events/schema";
import type { HubStore } from "../store/hub-store.js";
import type { StoredEvent } from "../store/records.js";

const PAGE = 500;

export interface ResetInfo {
  readonly reason: "position_unavailable" | "position_ahead";
  /** Where delivery continues from. */
  readonly seq: number;
  readonly message: string;
}

export interface Opened {
  /** Delivery continues after this `seq`. */
  readonly fromSeq: number;
  /** The newest `seq` when the subscription opened. */
  readonly headSeq: number;
  readonly reset?: ResetInfo;
}

export interface ResumeRequest {
  readonly subscriber: Subscriber;
  readonly filter: SubscriberFilter;
  /** Resume after this `seq`; live only when undefined. */
  readonly since: number | undefined;
  /** Sends the transport's opening frames (subscribed / ready, then reset). */
  readonly opened: (opened: Opened) => void;
}

export interface ResumeDeps {
  readonly store: HubStore;
  readonly broker: Broker;
  /** Events up to this `seq` were pruned and can no longer be replayed (from the store: any hub may prune). */
  readonly prunedThrough: () => Promise<number>;
  /**
   * The store's newest seq. A cluster node asks it when a position is ahead of what
   * it has delivered: another node may have stored (and served) that seq already.
   */
  readonly storeHead?: () => Promise<number>;
}

/** Runs the replay; the subscriber must have been registered with the broker just before. */
export async function resume(deps: ResumeDeps, request: ResumeRequest): Promise<void> {
  const { subscriber, since } = request;
  const head = deps.broker.headSeq;
  if (since === undefined) {
    subscriber.lastSeq = head;
    request.opened({ fromSeq: head, headSeq: head });
    return;
  }
  subscriber.startReplay();
  try {
    const known = since > head && deps.storeHead !== undefined ? Math.max(head, await deps.storeHead()) : head;
    await replayFrom(deps, request, known);
  } finally {
    subscriber.finishReplay();
  }
}

async function replayFrom(deps: ResumeDeps, request: ResumeRequest, head: number): Promise<void> {
  const { subscriber, since = head } = request;
  if (subscriber.closed) return;
  // The first page is read before the watermark, so a prune that commits in between
  // is seen (and answered with a reset), not skipped silently.
  const epoch = subscriber.replayEpoch;
  const first = await page(deps.store, request, Math.min(since, head));
  const { cursor, reset } = position(since, head, await deps.prunedThrough());
  subscriber.lastSeq = cursor;
  request.opened(reset === undefined ? { fromSeq: cursor, headSeq: head } : { fromSeq: cursor, headSeq: head, reset });
  await replay(deps, request, { rows: first, epoch });
}

function position(since: number, head: number, pruned: number): { cursor: number; reset?: ResetInfo } {
  if (since > head) {
    return {
      cursor: head,
      reset: {
        reason: "position_ahead",
        seq: head,
        message: `seq ${since} is ahead of this hub's newest event (${head}); it continues from ${head}`,
      },
    };
  }
  if (since < pruned) {
    return {
      cursor: pruned,
      reset: {
        reason: "position_unavailable",
        seq: pruned,
        message: `events up to seq ${pruned} are no longer kept; it continues from ${pruned}, re-read state elsewhere`,
      },
    };
  }
  return { cursor: since };
}

async function replay(deps: ResumeDeps, request: ResumeRequest, first: { rows: StoredEvent[]; epoch: number }): Promise<void> {
  const { subscriber } = request;
  let { rows, epoch } = first;
  for (;;) {
    for (const row of rows) {
      if (subscriber.closed) return;
      if (row.seq <= subscriber.lastSeq) continue;
      await subscriber.writable();
      subscriber.replay(new PublishedEvent(row));
    }
    if (subscriber.closed) return;
    if (rows.length < PAGE && subscriber.replayEpoch === epoch) return;
    const after = subscriber.lastSeq;
    epoch = subscriber.replayEpoch;
    rows = await page(deps.store, request, after);
    if ((await deps.prunedThrough()) > after) {
      // Pruned under a replay that had already started: it can no longer be answered
      // with a reset, so the subscriber is closed and resumes (and is reset) anew.
      subscriber.close(CLOSE_CODES.internalError, `events after seq ${after} were pruned during replay; resubscribe from seq ${after}`);
      return;
    }
  }
}

function page(store: HubStore, request: ResumeRequest, afterSeq: number): Promise<StoredEvent[]> {
  return store.readAfter({ afterSeq, limit: PAGE, channel: request.filter.channel, project: request.filter.project });
}
