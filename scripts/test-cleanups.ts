/**
 * What a test set up, undone after it, last first (a host before its volume is
 * unmounted, a socket before its hub), every step tried even when one fails; the
 * failures are reported together.
 */
import { afterEach } from "vitest";

export type Cleanup = () => Promise<void> | void;

/** A stack emptied after each test of the file that calls this: `cleanups.push(() => ...)`. */
export function cleanupStack(): { push(cleanup: Cleanup): void } {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
  });
  return { push: (cleanup) => void cleanups.push(cleanup) };
}
