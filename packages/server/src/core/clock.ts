/**
 * The hub's Lamport clock: the highest value seen on any stored event, advanced
 * by one for each event the hub creates itself (datagrams). Clients `observe()` it
 * from `welcome` and every ack.
 */
export class HubClock {
  #value: number;

  constructor(initial: number) {
    this.#value = initial;
  }

  get value(): number {
    return this.#value;
  }

  observe(lamport: number): void {
    if (lamport > this.#value) this.#value = lamport;
  }

  /** The next value for an event the hub creates. */
  tick(): number {
    this.#value += 1;
    return this.#value;
  }
}
