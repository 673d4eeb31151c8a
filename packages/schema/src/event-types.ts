/** The event types of the envelope, read from the generated tables (no schema is built). */
import { UNIONS } from "./generated/validators.js";
import type { EventType } from "./schemas/envelope.js";

export const EVENT_TYPES = Object.freeze(Object.keys(UNIONS.Envelope.members)) as readonly EventType[];

/** The work-package and feature types of the spec-kitty family. */
export const WORK_EVENT_TYPES = [
  "WPStatusChanged",
  "WPCreated",
  "WPAssigned",
  "FeatureCreated",
  "FeatureCompleted",
  "HistoryAdded",
  "ErrorLogged",
  "DependencyResolved",
] as const satisfies readonly EventType[];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && KNOWN.has(value);
}
