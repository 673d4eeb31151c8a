/** Reconnect delays: capped exponential growth with full jitter, so a restarted hub is not hit by every page at once. */

export interface BackoffOptions {
  /** First ceiling, in milliseconds. @default 250 */
  readonly baseMs?: number;
  /** Largest delay, in milliseconds. @default 8_000 */
  readonly capMs?: number;
}

/** A delay in `[0, min(cap, base * 2^attempt))`; `random` returns `[0, 1)`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 250;
  const cap = options.capMs ?? 8_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
