/**
 * The total order of events: `(lamport_clock, node_id, event_id)`. Never wall-clock
 * time (a writer whose clock ran ahead once froze lanes in the systems we learn from).
 */

export interface Ordered {
  readonly lamport_clock: number;
  readonly node_id: string;
  readonly event_id: string;
}

export function compareEvents(a: Ordered, b: Ordered): number {
  if (a.lamport_clock !== b.lamport_clock) return a.lamport_clock - b.lamport_clock;
  if (a.node_id !== b.node_id) return a.node_id < b.node_id ? -1 : 1;
  if (a.event_id !== b.event_id) return a.event_id < b.event_id ? -1 : 1;
  return 0;
}

/** Sorted by the total order with repeated `event_id`s removed; the input is not changed. */
export function orderedUnique<T extends Ordered>(events: Iterable<T>): T[] {
  const byId = new Map<string, T>();
  for (const event of events) {
    const seen = byId.get(event.event_id);
    // Keep the smallest copy, so the choice does not depend on input order.
    if (seen === undefined || compareEvents(event, seen) < 0) byId.set(event.event_id, event);
  }
  return [...byId.values()].sort(compareEvents);
}
