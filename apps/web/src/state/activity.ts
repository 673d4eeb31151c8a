/**
 * The activity log: one line per event, newest first, capped. Live events go in at
 * the top, in the order the hub delivered them, and push the oldest out past the
 * cap; older pages read from history (newest first) go in at the bottom and raise
 * the cap by what they brought. Events of different streams (projects) have no seq
 * order between them, so the list keeps the order they came in: each entry's
 * `order` is above every entry before it (live) or below every one (history). An
 * event (stream and seq) is in the list at most once, whatever order pages and live
 * events arrive in.
 */
import { formatPosition, type ActivityLevel, type Envelope } from "@events/schema";
import { positionKey, type LiveEvent } from "./live-event.js";

export const LEVELS: readonly ActivityLevel[] = ["debug", "info", "success", "warning", "error"];

export interface ActivityEntry {
  /** `<stream>:<seq>`: the event's place in the hub's log. */
  readonly key: string;
  readonly stream: string;
  readonly seq: number;
  /** Its place in this list: higher is newer (live events count up, older pages count down). */
  readonly order: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly channel: string;
  readonly level: ActivityLevel;
  /** Who sent it: a machine event's `source`, else the aggregate type. */
  readonly source: string;
  /** The node (machine and user) that emitted it. */
  readonly machine: string;
  readonly project: string | null;
  readonly timestamp: string;
  readonly message: string;
}

export interface ActivityState {
  /** Newest first; at most `cap` entries. */
  readonly entries: readonly ActivityEntry[];
  readonly cap: number;
  /** Whether older events than the last entry may exist in the hub. */
  readonly hasOlder: boolean;
}

export const DEFAULT_CAP = 500;

export function emptyActivity(cap = DEFAULT_CAP): ActivityState {
  return { entries: [], cap, hasOlder: false };
}

/** Live events, oldest first as delivered, go in at the top; past the cap the oldest go. */
export function addLive(state: ActivityState, events: readonly LiveEvent[]): ActivityState {
  const fresh = unseen(state.entries, events);
  if (fresh.length === 0) return state;
  let order = state.entries[0]?.order ?? 0;
  const added = fresh.map((event) => toEntry(event, ++order)).reverse();
  const merged = [...added, ...state.entries];
  const trimmed = merged.length > state.cap;
  return { ...state, entries: trimmed ? merged.slice(0, state.cap) : merged, hasOlder: state.hasOlder || trimmed };
}

/** An older page from history (newest first) goes in at the bottom; the cap grows so it stays visible. */
export function addOlder(state: ActivityState, events: readonly LiveEvent[], hasMore: boolean): ActivityState {
  let order = state.entries.at(-1)?.order ?? 0;
  const merged = [...state.entries, ...unseen(state.entries, events).map((event) => toEntry(event, --order))];
  return { entries: merged, cap: Math.max(state.cap, merged.length), hasOlder: hasMore };
}

/**
 * The position to read history before: in each stream shown, its oldest seq shown.
 * Computed from what is shown rather than kept from the last page, so entries the
 * cap pushed out are read again. Streams not shown have nothing newer than the list
 * (the live stream delivers every stream), so leaving them unbounded is right.
 */
export function olderPosition(state: ActivityState): string | undefined {
  if (state.entries.length === 0) return undefined;
  const oldest = new Map<string, number>();
  for (const { stream, seq } of state.entries) if (seq < (oldest.get(stream) ?? Infinity)) oldest.set(stream, seq);
  return formatPosition(oldest);
}

export interface ActivityFilter {
  readonly level?: ActivityLevel | undefined;
  readonly source?: string | undefined;
  readonly machine?: string | undefined;
}

export function filterActivity(entries: readonly ActivityEntry[], filter: ActivityFilter): readonly ActivityEntry[] {
  if (filter.level === undefined && filter.source === undefined && filter.machine === undefined) return entries;
  return entries.filter(
    (entry) =>
      (filter.level === undefined || entry.level === filter.level) &&
      (filter.source === undefined || entry.source === filter.source) &&
      (filter.machine === undefined || entry.machine === filter.machine),
  );
}

/** The values each filter can take, from what is in the list. */
export function facets(entries: readonly ActivityEntry[]): { sources: string[]; machines: string[] } {
  const sources = new Set<string>();
  const machines = new Set<string>();
  for (const entry of entries) {
    sources.add(entry.source);
    machines.add(entry.machine);
  }
  return { sources: [...sources].sort(), machines: [...machines].sort() };
}

/** The events not in the list yet (nor twice in the batch). */
function unseen(current: readonly ActivityEntry[], incoming: readonly LiveEvent[]): LiveEvent[] {
  const keys = new Set(current.map((entry) => entry.key));
  return incoming.filter((event) => {
    const key = positionKey(event);
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
}

export function toEntry({ stream, seq, channel, event }: LiveEvent, order: number): ActivityEntry {
  const { level, source, message } = describeSafely(event);
  return {
    key: `${stream}:${seq}`,
    stream,
    seq,
    order,
    eventId: event.event_id,
    eventType: String(event.event_type === "MachineEvent" ? event.payload.type : event.event_type),
    channel,
    level,
    source: String(source),
    machine: event.node_id,
    project: event.project_slug ?? event.project_uuid,
    timestamp: event.timestamp,
    message: String(message),
  };
}

/** The hub validated every event, but a line that cannot be described should not take the batch with it. */
function describeSafely(event: Envelope): Described {
  try {
    return describeEvent(event);
  } catch {
    return { level: "warning", source: String(event.aggregate_type), message: `an ${String(event.event_type)} event the page could not read` };
  }
}

interface Described {
  readonly level: ActivityLevel;
  readonly source: string;
  readonly message: string;
}

function describeEvent(event: Envelope): Described {
  const info = (message: string): Described => ({ level: "info", source: event.aggregate_type, message });
  switch (event.event_type) {
    case "MachineEvent": {
      const { payload } = event;
      const data = payload.payload;
      const text = (key: string): string | undefined => (typeof data[key] === "string" ? data[key] : undefined);
      const level = isLevel(data["level"]) ? data["level"] : payload.type === "error" ? "error" : "info";
      const message =
        payload.type === "state_change"
          ? `${text("from_state") ?? "?"} → ${text("to_state") ?? "?"} (${text("event_trigger") ?? "?"})`
          : (text("message") ?? `${payload.type}${payload.job_id === undefined || payload.job_id === null ? "" : ` ${payload.job_id}`} ${JSON.stringify(data)}`);
      return { level, source: payload.source, message: payload.target === "ui" ? message : `→ ${payload.target}: ${message}` };
    }
    case "WPStatusChanged": {
      const { payload } = event;
      return info(`${payload.wp_id} ${payload.from_lane ?? "(new)"} → ${payload.to_lane}${payload.actor === undefined ? "" : ` by ${payload.actor}`}${payload.reason === undefined ? "" : `: ${payload.reason}`}`);
    }
    case "WPCreated":
      return info(`${event.payload.wp_id} created: ${event.payload.title}`);
    case "WPAssigned":
      return info(`${event.payload.wp_id} assigned to ${event.payload.agent_id} (${event.payload.phase})`);
    case "FeatureCreated":
      return info(`feature ${event.payload.feature_slug} created with ${event.payload.wp_count} work packages`);
    case "FeatureCompleted":
      return { ...info(`feature ${event.payload.feature_slug} completed (${event.payload.total_wps} work packages)`), level: "success" };
    case "HistoryAdded":
      return info(`${event.payload.wp_id} ${event.payload.entry_type}: ${event.payload.entry_content}`);
    case "ErrorLogged":
      return { level: "error", source: event.aggregate_type, message: `${event.payload.error_type}: ${event.payload.error_message}` };
    case "DependencyResolved":
      return info(`${event.payload.wp_id}: dependency ${event.payload.dependency_wp_id} ${event.payload.resolution_type}`);
    case "task.created":
      return info(`task ${event.payload.task_id} created: ${event.payload.name} (${event.payload.status})`);
    case "task.status":
      return { ...info(`task ${event.payload.task_id} is ${event.payload.status}`), level: event.payload.status === "failed" ? "error" : event.payload.status === "completed" ? "success" : "info" };
    case "SessionEvent":
      return sessionLine(event.aggregate_id, event.payload);
    case "ProblemsSnapshot":
      return info(`problems audit: ${event.payload.findings.length} findings`);
  }
}

function sessionLine(id: string, frame: Extract<Envelope, { event_type: "SessionEvent" }>["payload"]): Described {
  const line = (level: ActivityLevel, message: string): Described => ({ level, source: "Session", message: `session ${id}: ${message}` });
  switch (frame.kind) {
    case "phase":
      return line("info", `phase ${frame.phase}`);
    case "progress":
      return line("debug", `${frame.phase} ${frame.current}/${frame.total}`);
    case "input_required":
      return line("warning", `input required: ${frame.reason}`);
    case "warning":
      return line("warning", `${frame.phase}: ${frame.message}`);
    case "done":
      return line("success", "done");
    case "failed":
      return line("error", `failed in ${frame.phase}: ${frame.error.code} ${frame.error.message}`);
  }
}

function isLevel(value: unknown): value is ActivityLevel {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value);
}
