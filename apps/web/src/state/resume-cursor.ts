/**
 * Where the live stream resumes, and what is new. The hub delivers one
 * subscription in `seq` order, so an event at or below the last seen `seq` is a
 * repeat (a replay overlapping what arrived before a reconnect) and is dropped.
 * `gap` and `reset` frames say what to do next; none of them is silent.
 */
import type { GapFrame, ResetFrame } from "@events/schema";

export interface ResumeCursor {
  /** The last `seq` applied; the next subscribe asks for events after it. */
  readonly lastSeq: number;
}

export type CursorAction =
  /** Subscribe again from this `seq` (the events dropped for us are re-read from the store). */
  | { readonly kind: "resubscribe"; readonly since: number }
  /** The hub's store is not the one the page followed: forget what was seen and start over. */
  | { readonly kind: "restart" }
  /** Older events were pruned; carry on from `seq`, with a notice that history is incomplete. */
  | { readonly kind: "skip"; readonly seq: number; readonly message: string };

export function initialCursor(): ResumeCursor {
  return { lastSeq: 0 };
}

/** The events of a batch that are new, and the cursor after them. */
export function advance<T extends { readonly seq: number }>(cursor: ResumeCursor, events: readonly T[]): { cursor: ResumeCursor; fresh: T[] } {
  const fresh: T[] = [];
  let lastSeq = cursor.lastSeq;
  for (const event of events) {
    if (event.seq <= lastSeq) continue;
    fresh.push(event);
    lastSeq = event.seq;
  }
  return { cursor: lastSeq === cursor.lastSeq ? cursor : { lastSeq }, fresh };
}

export function onGap(cursor: ResumeCursor, _gap: Pick<GapFrame, "from_seq" | "to_seq">): CursorAction {
  // Everything after lastSeq is still in the store: read it again rather than skip it.
  return { kind: "resubscribe", since: cursor.lastSeq };
}

export function onReset(cursor: ResumeCursor, reset: Pick<ResetFrame, "reason" | "seq" | "message">): CursorAction {
  if (reset.reason === "position_ahead") return { kind: "restart" };
  return { kind: "skip", seq: Math.max(cursor.lastSeq, reset.seq), message: reset.message };
}
