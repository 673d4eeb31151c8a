/**
 * What the live stream has applied, per stream. @events/client delivers each event
 * of one subscription once, in `seq` order within its stream; the page still drops
 * an event at or below its stream's cursor, so a stream that restarts (a reset, a new
 * subscription) never applies an event twice.
 */

export interface ResumeCursor {
  /** The last `seq` applied in each stream (a stream not named: nothing yet). */
  readonly position: ReadonlyMap<string, number>;
}

export function initialCursor(): ResumeCursor {
  return { position: new Map() };
}

/** The events of a batch that are new in their stream, and the cursor after them. */
export function advance<T extends { readonly stream: string; readonly seq: number }>(cursor: ResumeCursor, events: readonly T[]): { cursor: ResumeCursor; fresh: T[] } {
  const fresh: T[] = [];
  let position: Map<string, number> | undefined;
  for (const event of events) {
    if (event.seq <= ((position ?? cursor.position).get(event.stream) ?? 0)) continue;
    position ??= new Map(cursor.position);
    position.set(event.stream, event.seq);
    fresh.push(event);
  }
  return { cursor: position === undefined ? cursor : { position }, fresh };
}
