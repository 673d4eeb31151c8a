/**
 * Event ids: ULIDs from one monotonic factory per process, so ids made within the
 * same millisecond still sort in the order they were made.
 */
import { monotonicFactory } from "ulid";

const nextUlid = monotonicFactory();

/** A new ULID for an event (or any id that must sort by creation). */
export function newEventId(): string {
  return nextUlid();
}

/** A ULID to pass as `causationId` to every event one action causes, grouping them. */
export function generateCausationId(): string {
  return nextUlid();
}
