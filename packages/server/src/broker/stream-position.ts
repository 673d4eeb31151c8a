/**
 * A subscriber's position: the last seq it has accounted for in each stream. Its
 * token (`<stream>:<seq>` pairs in stream order, as `formatPosition` writes it) is
 * kept sorted by stream, so writing it after each event (SSE's `id:` of a
 * multi-stream subscription) costs one pass over the streams, not a sort.
 */
import { formatPosition, type Position } from "@events/schema";

export class StreamPosition {
  readonly #seqs = new Map<string, number>();
  /** Streams in code-unit order (as tokens list them); undefined after a new stream came. */
  #sorted: string[] | undefined = [];
  #token: string | undefined = "";

  constructor(start: Position = new Map()) {
    this.replace(start);
  }

  /** The last seq seen in `stream` (0: nothing yet). */
  get(stream: string): number {
    return this.#seqs.get(stream) ?? 0;
  }

  /** Moves `stream` to `seq` when that is further; false (and no change) when it is not. */
  advance(stream: string, seq: number): boolean {
    return this.move(stream, seq) >= 0;
  }

  /** `advance` that answers the seq `stream` was at before (0: nothing yet), or -1 when it did not move. */
  move(stream: string, seq: number): number {
    const current = this.#seqs.get(stream);
    if (seq <= (current ?? 0)) return -1;
    if (current === undefined) this.#sorted = undefined;
    this.#seqs.set(stream, seq);
    this.#token = undefined;
    return current ?? 0;
  }

  /** Takes `position` as a whole (where a resume starts). */
  replace(position: Position): void {
    this.#seqs.clear();
    for (const [stream, seq] of position) if (seq > 0) this.#seqs.set(stream, seq);
    this.#sorted = undefined;
    this.#token = undefined;
  }

  /** A copy, safe to keep while this one moves on. */
  snapshot(): Map<string, number> {
    return new Map(this.#seqs);
  }

  get size(): number {
    return this.#seqs.size;
  }

  /** The position token. */
  token(): string {
    if (this.#token !== undefined) return this.#token;
    if (this.#sorted === undefined) {
      this.#token = formatPosition(this.#seqs);
      this.#sorted = [...this.#seqs.keys()].sort();
      return this.#token;
    }
    let token = "";
    for (const stream of this.#sorted) token += token === "" ? `${stream}:${this.#seqs.get(stream)!}` : `,${stream}:${this.#seqs.get(stream)!}`;
    this.#token = token;
    return token;
  }
}
