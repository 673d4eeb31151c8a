/** Full jitter within a doubling, capped ceiling. */
import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "../src/backoff.js";

describe("backoff", () => {
  it("draws each delay from [0, min(max, min * 2^attempt)), using the whole range", () => {
    expect(DEFAULT_BACKOFF).toEqual({ minDelayMs: 500, maxDelayMs: 20_000 });
    expect([0, 1, 2, 5, 6, 40].map((attempt) => backoffDelay(attempt, {}, () => 0.999_999))).toEqual([499, 999, 1_999, 15_999, 19_999, 19_999]);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
    expect(backoffDelay(2, { minDelayMs: 10, maxDelayMs: 25 }, () => 0.5)).toBe(12);
  });

  it("counts attempts and starts over after reset", () => {
    const backoff = new Backoff({ minDelayMs: 100, maxDelayMs: 1_000 }, () => 0.999);
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([99, 199, 399, 799, 999]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.ceilingMs).toBe(100);
  });
});
