/**
 * Where the live stream starts, and what is new. The page's history and its live
 * stream meet at the cursor: the newest page read at start sets it, the live
 * subscription starts after it, and an event at or below it is never applied twice
 * (@events/client delivers each event of one subscription once, in `seq` order; the
 * check here also covers history and a restarted stream).
 */

export interface ResumeCursor {
  /** The last `seq` applied; a new live subscription asks for events after it. */
  readonly lastSeq: number;
}

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
