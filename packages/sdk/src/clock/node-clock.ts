/**
 * The emitter's view of its node's Lamport clock: the value in queue.db when the disk
 * can be read, else the provisional value this process has issued or observed (see
 * LamportClock for the rules). Never throws.
 */
import type { DurableOutbox } from "../outbox/durable-outbox.js";
import { isClockValue, type ClockState } from "./lamport-clock.js";

export class NodeClock {
  readonly #outbox: DurableOutbox;

  constructor(outbox: DurableOutbox) {
    this.#outbox = outbox;
  }

  read(nodeId: string): ClockState {
    const stored = this.#outbox.peek((store) => store.clock.read(nodeId));
    // Events waiting in memory hold provisional values above what is stored.
    const held = this.#outbox.inMemory > 0 ? this.#outbox.provisionalClock : 0;
    return { value: stored === undefined ? this.#outbox.provisionalClock : Math.max(stored, held), nodeId };
  }

  /** The receive rule: value := max(value, remote). */
  observe(nodeId: string, remote: number): ClockState {
    if (!isClockValue(remote)) return this.read(nodeId);
    this.#outbox.provisionalClock = Math.max(this.#outbox.provisionalClock, remote);
    const stored = this.#outbox.peek((store) => store.clock.observe(nodeId, remote));
    return { value: stored ?? this.#outbox.provisionalClock, nodeId };
  }

  reset(nodeId: string, value: number): ClockState {
    const target = isClockValue(value) ? value : 0;
    this.#outbox.provisionalClock = target;
    const stored = this.#outbox.peek((store) => store.clock.reset(nodeId, target));
    return { value: stored ?? target, nodeId };
  }
}
