/**
 * Reconnect delays: capped exponential growth with full jitter. The n-th wait is
 * uniform in `[0, min(maxDelayMs, minDelayMs * 2^n))`, so a fleet of clients that
 * lost the same hub does not come back in step (AWS's "full jitter"; centrifuge-js
 * uses the same shape).
 */

export interface BackoffOptions {
  /** The first ceiling, in milliseconds. @default 500 */
  readonly minDelayMs?: number;
  /** The largest delay, in milliseconds. @default 20_000 */
  readonly maxDelayMs?: number;
}

export const DEFAULT_BACKOFF = Object.freeze({ minDelayMs: 500, maxDelayMs: 20_000 });

/** The wait before attempt `attempt` (0 for the first retry); `random` returns `[0, 1)`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const min = options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const ceiling = Math.min(max, min * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}

/** Counts attempts: `next()` is the wait before the next one, `reset()` after a success. */
export class Backoff {
  #attempt = 0;
  readonly #options: BackoffOptions;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Attempts since the last success. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The ceiling of the next wait, before jitter. */
  get ceilingMs(): number {
    return Math.min(this.#options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs, (this.#options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs) * 2 ** Math.min(this.#attempt, 30));
  }

  next(): number {
    return backoffDelay(this.#attempt++, this.#options, this.#random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
