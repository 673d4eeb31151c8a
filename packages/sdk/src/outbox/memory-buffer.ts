/**
 * Where events wait when queue.db cannot take them (full disk, read-only home,
 * corrupt file): in memory, in emit order, up to a limit, until the disk can take
 * them or the process exits (when they are reported, never dropped silently).
 * Their clock values are provisional: the transaction that finally stores them
 * stamps them again, so values stay unique across processes.
 */
import type { Envelope } from "@events/schema";
import { parseStored, serialise, type PreparedEvent } from "./prepared-event.js";

interface Held {
  event: PreparedEvent;
  provisionalClock: number;
}

export class MemoryBuffer {
  readonly #held = new Map<string, Held>();

  constructor(readonly limit: number) {}

  get size(): number {
    return this.#held.size;
  }

  get full(): boolean {
    return this.#held.size >= this.limit;
  }

  /** The event already held under this id, with its provisional clock, as stored JSON. */
  held(eventId: string): { clock: number; data: string } | undefined {
    const held = this.#held.get(eventId);
    return held === undefined ? undefined : { clock: held.provisionalClock, data: serialise(held.event, held.provisionalClock).data };
  }

  add(event: PreparedEvent, provisionalClock: number): void {
    this.#held.set(event.eventId, { event, provisionalClock });
  }

  /** Held events in emit order. */
  events(): PreparedEvent[] {
    return [...this.#held.values()].map((held) => held.event);
  }

  /** Forgets events that reached the disk. */
  remove(eventIds: Iterable<string>): void {
    for (const id of eventIds) this.#held.delete(id);
  }

  /** The held events as envelopes (with their provisional clocks), for a report. */
  envelopes(): Envelope[] {
    return [...this.#held.values()].map((held) => parseStored(serialise(held.event, held.provisionalClock).data));
  }
}
