/**
 * Events committed together, on their way out as one. A subscriber that keeps up
 * and takes every event of the batch gets the batch's frames joined into one
 * buffer, built once per subscription id and written to every such subscriber's
 * socket as is: one write and no per-event work per subscriber, where framing each
 * event cost a queue entry in the socket's stream per event and subscriber.
 */
import type { PublishedEvent } from "./published-event.js";

/** One stream's part of a batch: its events' seqs ascend from `first` to `last`. */
export interface BatchStream {
  readonly stream: string;
  readonly first: number;
  readonly last: number;
}

export class PublishedBatch {
  readonly events: readonly PublishedEvent[];
  /** Each stream of the batch once, in order of first appearance. */
  readonly streams: readonly BatchStream[];
  /**
   * Whether each stream's seqs strictly ascend within the batch. Only then does one
   * check of each stream's first seq against a position cover every event; a batch
   * that repeats a seq is framed event by event, which skips the repeat.
   */
  readonly ascending: boolean;
  #wsSub: string | undefined;
  #wsFrames: Buffer | undefined;
  #wsBySub: Map<string, Buffer> | undefined;

  /** `events`: each stream's in seq order (streams may interleave). */
  constructor(events: readonly PublishedEvent[]) {
    this.events = events;
    const streams = new Map<string, { stream: string; first: number; last: number }>();
    let ascending = true;
    for (const event of events) {
      const known = streams.get(event.stream);
      if (known === undefined) {
        streams.set(event.stream, { stream: event.stream, first: event.seq, last: event.seq });
      } else {
        if (event.seq <= known.last) ascending = false;
        known.last = event.seq;
      }
    }
    this.streams = [...streams.values()];
    this.ascending = ascending;
  }

  /** Every event's WebSocket `message` frame for `sub`, joined (see PublishedEvent.wsFrame). */
  wsFrames(sub: string): Buffer {
    if (sub === this.#wsSub) return this.#wsFrames!;
    this.#wsBySub ??= new Map();
    let frames = this.#wsBySub.get(sub);
    if (frames === undefined) {
      frames = Buffer.concat(this.events.map((event) => event.wsFrame(sub)));
      this.#wsBySub.set(sub, frames);
    }
    this.#wsSub = sub;
    this.#wsFrames = frames;
    return frames;
  }
}
