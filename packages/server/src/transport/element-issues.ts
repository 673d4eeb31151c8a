/**
 * A workaround for @events/schema: BatchRequest and PublishFrame type each event
 * as an object, so one element that is not an object (a number, a string, null)
 * fails the whole batch, although each event is meant to be answered on its own.
 * When that is the only problem, the hub takes the events array as is and lets the
 * envelope codec reject those elements one by one. (Reported for the schema.)
 */
import type { Issue } from "@events/schema";

const ELEMENT = /^\/events\/\d+$/;

/**
 * The `events` of a batch or publish frame whose only issues are elements that are
 * not objects; undefined when anything else is wrong.
 */
export function eventsDespiteElements(value: unknown, issues: readonly Issue[], allowed: readonly string[]): unknown[] | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const events = record["events"];
  if (!Array.isArray(events) || events.length === 0) return undefined;
  if (Object.keys(record).some((key) => !allowed.includes(key))) return undefined;
  const onlyElements = issues.every((issue) => {
    if (!ELEMENT.test(issue.path)) return false;
    const element: unknown = events[Number(issue.path.slice("/events/".length))];
    return element === null || typeof element !== "object" || Array.isArray(element);
  });
  return onlyElements ? events : undefined;
}
