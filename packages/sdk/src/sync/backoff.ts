/**
 * Capped exponential backoff with full jitter: the n-th wait is uniform in
 * [0, min(max, base * 2^n)), so a fleet of clients that lost the same hub does not
 * come back in step.
 */

export interface BackoffOptions {
  /** The first cap, in milliseconds. @default 500 */
  baseMs?: number;
  /** The largest cap, in milliseconds. @default 30_000 */
  maxMs?: number;
  /** A number in [0, 1). @default Math.random */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** The cap of the next wait, before jitter. */
  get ceilingMs(): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
  }

  /** How long to wait before the next attempt; each call doubles the cap up to the maximum. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceilingMs);
    if (this.baseMs * 2 ** this.attempt < this.maxMs) this.attempt += 1;
    return delay;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
