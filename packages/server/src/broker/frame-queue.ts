/**
 * A FIFO of frames that knows its count and bytes, with O(1) push and shift: the
 * per-subscriber queue the broker bounds.
 */

export interface QueuedFrame {
  /** The event's stream and seq; a computed channel's frame has stream "" (never gapped: it closes instead). */
  readonly stream: string;
  readonly seq: number;
  /** The subscriber's seq in `stream` before this event: where a gap that drops it starts. */
  readonly prev: number;
  readonly bytes: Buffer;
  /** Written right after `bytes`: the subscriber's own part of the frame (SSE's `id: <position>`). */
  readonly after?: Buffer | undefined;
}

export class FrameQueue {
  #items: (QueuedFrame | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(frame: QueuedFrame): void {
    this.#items.push(frame);
    this.#bytes += sizeOf(frame);
  }

  shift(): QueuedFrame | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const frame = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (frame !== undefined) this.#bytes -= sizeOf(frame);
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}

function sizeOf(frame: QueuedFrame): number {
  return frame.bytes.length + (frame.after?.length ?? 0);
}
