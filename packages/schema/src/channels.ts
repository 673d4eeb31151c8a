/**
 * Where an event is delivered: every envelope belongs to exactly one channel, derived
 * from the envelope alone, so the SDK, the hub and the dashboard agree on it.
 */
import type { Envelope } from "./schemas/envelope.js";

/** The work-package and feature events of a project. */
export const EVENTS_CHANNEL = "events";
export const TASKS_CHANNEL = "tasks";
export const PROBLEMS_CHANNEL = "problems";

export function sessionChannel(sessionId: string): string {
  return `session:${sessionId}`;
}

export function machineChannel(machine: string): string {
  return `machine:${machine}`;
}

export function channelOf(envelope: Envelope): string {
  switch (envelope.event_type) {
    case "SessionEvent":
      return sessionChannel(envelope.aggregate_id);
    case "MachineEvent":
      return machineChannel(envelope.payload.target);
    case "ProblemsSnapshot":
      return PROBLEMS_CHANNEL;
    case "task.created":
    case "task.status":
      return TASKS_CHANNEL;
    case "WPStatusChanged":
    case "WPCreated":
    case "WPAssigned":
    case "FeatureCreated":
    case "FeatureCompleted":
    case "HistoryAdded":
    case "ErrorLogged":
    case "DependencyResolved":
      return EVENTS_CHANNEL;
  }
}

// Control characters are never part of a channel name.
// eslint-disable-next-line no-control-regex
const KNOWN_CHANNEL = /^(?:events|tasks|problems|(?:session|machine):[^\u0000-\u001f\u007f]+)$/u;

/**
 * Whether `filter` names a channel the hub can have: `events`, `tasks`, `problems`,
 * `session:<id>`, `machine:<name>`, a `prefix:*` pattern of the last two, or all
 * (`*`, empty or absent). Anything else (`sessions`, `foo:*`, control characters)
 * is refused with `unknown_channel` instead of a subscription that never sees an event.
 */
export function isKnownChannel(filter: string | undefined): boolean {
  if (filter === undefined || filter === "" || filter === "*") return true;
  return KNOWN_CHANNEL.test(filter.endsWith(":*") && filter.length > 2 ? `${filter.slice(0, -2)}:x` : filter);
}

/** Whether a subscription to `filter` (a channel, or a `prefix:*` pattern) sees `channel`. */
export function channelMatches(filter: string | undefined, channel: string): boolean {
  if (filter === undefined || filter === "" || filter === "*") return true;
  if (filter.endsWith(":*")) return channel.startsWith(filter.slice(0, -1));
  return filter === channel;
}
