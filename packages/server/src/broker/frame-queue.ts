/**
 * A FIFO of frames that knows its count and bytes, with O(1) push and shift: the
 * per-subscriber queue the broker bounds.
 */

export interface QueuedFrame {
  readonly seq: number;
  readonly bytes: Buffer;
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
    this.#bytes += frame.bytes.length;
  }

  shift(): QueuedFrame | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const frame = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (frame !== undefined) this.#bytes -= frame.bytes.length;
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
