/**
 * spec-kitty's emit helpers under their own names and fields, for code that comes
 * from `specify_cli.sync.events`: `emit_wp_status_changed("WP01", "planned", "doing")`
 * works as written. Python's positional arguments stay positional; its keyword
 * arguments become one trailing object (`emit_wp_assigned("WP01", { agent_id: "claude",
 * phase: "implementation" })`). Each helper returns the stored event, or `null` with one
 * warning when the event is refused, as spec-kitty's do; none ever throws. The 028
 * names (`previous_status`, `new_status`, `changed_by`, `content`, `message`) and the
 * later ones (`from_lane`, `to_lane`, `actor`, `entry_content`, `error_message`) are
 * both taken.
 */
import type { Envelope, EventType, PayloadOf } from "@events/schema";
import { getEmitter, type Emitter, type EmitOptions, type EmitResult } from "@events/sdk";
import { warn } from "./logger.js";

/** Keyword arguments every helper takes, besides its own. */
export interface CommonKwargs {
  /** Groups the events one action causes (`get_emitter().generate_causation_id()`). */
  causation_id?: string | null;
  /** One run of a mission. */
  correlation_id?: string | null;
}

/** Positional parameters `P` in order, any prefix of them, then keyword arguments `K`. */
export type PythonCall<P extends unknown[], K> = P extends [...infer Head, unknown] ? P | [...P, K] | PythonCall<Head, K> : [K?];

export interface WpStatusChangedKwargs extends CommonKwargs {
  wp_id?: string;
  previous_status?: string | null;
  new_status?: string;
  from_lane?: string | null;
  to_lane?: string;
  /** @default "user" */
  changed_by?: string;
  actor?: string;
  feature_slug?: string;
  force?: boolean;
  reason?: string;
  review_ref?: string;
}
export interface WpCreatedKwargs extends CommonKwargs {
  wp_id?: string;
  title?: string;
  /** @default [] */
  dependencies?: string[];
  feature_slug?: string;
}
export interface WpAssignedKwargs extends CommonKwargs {
  wp_id?: string;
  agent_id?: string;
  phase?: string;
  /** @default 0 */
  retry_count?: number;
}
export interface FeatureCreatedKwargs extends CommonKwargs {
  feature_slug?: string;
  feature_number?: string;
  target_branch?: string;
  wp_count?: number;
  created_at?: string;
}
export interface FeatureCompletedKwargs extends CommonKwargs {
  feature_slug?: string;
  total_wps?: number;
  completed_at?: string;
  total_duration?: string | null;
}
export interface HistoryAddedKwargs extends CommonKwargs {
  wp_id?: string;
  entry_type?: string;
  content?: string;
  entry_content?: string;
  author?: string;
}
export interface ErrorLoggedKwargs extends CommonKwargs {
  error_type?: string;
  message?: string;
  error_message?: string;
  wp_id?: string;
  stack_trace?: string;
  agent_id?: string;
}
export interface DependencyResolvedKwargs extends CommonKwargs {
  wp_id?: string;
  dependency_wp_id?: string;
  resolution_type?: string;
}

type Kwargs = Record<string, unknown>;

/** spec-kitty's helper: positional names in order, the event type, and the payload its arguments make. */
interface Helper {
  readonly positional: readonly string[];
  readonly eventType: EventType;
  readonly payload: (args: Kwargs) => Kwargs;
}

const HELPERS = {
  emit_wp_status_changed: {
    positional: ["wp_id", "previous_status", "new_status"],
    eventType: "WPStatusChanged",
    payload: (a) => ({
      wp_id: a["wp_id"],
      from_lane: first(a["from_lane"], a["previous_status"]) ?? null,
      to_lane: first(a["to_lane"], a["new_status"]),
      actor: first(a["actor"], a["changed_by"]) ?? "user",
      ...pick(a, ["feature_slug", "force", "reason", "review_ref"]),
    }),
  },
  emit_wp_created: {
    positional: ["wp_id", "title"],
    eventType: "WPCreated",
    payload: (a) => ({ wp_id: a["wp_id"], title: a["title"], dependencies: a["dependencies"] ?? [], feature_slug: a["feature_slug"] }),
  },
  emit_wp_assigned: {
    positional: ["wp_id", "agent_id", "phase"],
    eventType: "WPAssigned",
    payload: (a) => ({ wp_id: a["wp_id"], agent_id: a["agent_id"], phase: a["phase"], retry_count: a["retry_count"] ?? 0 }),
  },
  emit_feature_created: {
    positional: ["feature_slug", "feature_number", "target_branch", "wp_count"],
    eventType: "FeatureCreated",
    payload: (a) => pick(a, ["feature_slug", "feature_number", "target_branch", "wp_count", "created_at"]),
  },
  emit_feature_completed: {
    positional: ["feature_slug", "total_wps"],
    eventType: "FeatureCompleted",
    payload: (a) => pick(a, ["feature_slug", "total_wps", "completed_at", "total_duration"]),
  },
  emit_history_added: {
    positional: ["wp_id", "entry_type", "content"],
    eventType: "HistoryAdded",
    payload: (a) => ({ wp_id: a["wp_id"], entry_type: a["entry_type"], entry_content: first(a["entry_content"], a["content"]), ...pick(a, ["author"]) }),
  },
  emit_error_logged: {
    positional: ["error_type", "message"],
    eventType: "ErrorLogged",
    payload: (a) => ({ error_type: a["error_type"], error_message: first(a["error_message"], a["message"]), ...pick(a, ["wp_id", "stack_trace", "agent_id"]) }),
  },
  emit_dependency_resolved: {
    positional: ["wp_id", "dependency_wp_id", "resolution_type"],
    eventType: "DependencyResolved",
    payload: (a) => pick(a, ["wp_id", "dependency_wp_id", "resolution_type"]),
  },
} as const satisfies Record<string, Helper>;

type HelperName = keyof typeof HELPERS;

/** The stored envelope, or `null` when the event was refused (with one warning). */
export type EmitReturn = Envelope | null;

function emitWith(emitter: Emitter, name: HelperName, args: readonly unknown[]): EmitReturn {
  try {
    const helper: Helper = HELPERS[name];
    const last = args.at(-1);
    const hasKwargs = args.length > 0 && last !== null && typeof last === "object" && !Array.isArray(last);
    const kwargs = (hasKwargs ? last : {}) as Kwargs;
    const positional = hasKwargs ? args.slice(0, -1) : args;
    if (positional.length > helper.positional.length) {
      warn(`${name}() takes at most ${helper.positional.length} positional arguments (${helper.positional.join(", ")}); got ${positional.length}: the event was not emitted`);
      return null;
    }
    const named: Kwargs = { ...kwargs };
    positional.forEach((value, index) => (named[helper.positional[index]!] = value));
    const options: EmitOptions = {
      ...(named["causation_id"] === undefined ? {} : { causationId: named["causation_id"] as string | null }),
      ...(named["correlation_id"] === undefined ? {} : { correlationId: named["correlation_id"] as string | null }),
    };
    const result: EmitResult = emitter.emit(helper.eventType, helper.payload(named) as PayloadOf<EventType>, options);
    if (result.ok) return result.event;
    const detail = result.issues?.map((issue) => issue.message).join("; ") ?? result.message;
    warn(`${name}(): the event was not emitted (${result.reason}): ${detail}`);
    return null;
  } catch (error) {
    warn(`${name}(): the event was not emitted: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function first(...values: unknown[]): unknown {
  return values.find((value) => value !== undefined);
}

function pick(from: Kwargs, keys: readonly string[]): Kwargs {
  const out: Kwargs = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

export interface SpecKittyHelpers {
  emit_wp_status_changed: (...args: PythonCall<[wp_id: string, previous_status: string | null, new_status: string], WpStatusChangedKwargs>) => EmitReturn;
  emit_wp_created: (...args: PythonCall<[wp_id: string, title: string], WpCreatedKwargs>) => EmitReturn;
  emit_wp_assigned: (...args: PythonCall<[wp_id: string, agent_id: string, phase: string], WpAssignedKwargs>) => EmitReturn;
  emit_feature_created: (...args: PythonCall<[feature_slug: string, feature_number: string, target_branch: string, wp_count: number], FeatureCreatedKwargs>) => EmitReturn;
  emit_feature_completed: (...args: PythonCall<[feature_slug: string, total_wps: number], FeatureCompletedKwargs>) => EmitReturn;
  emit_history_added: (...args: PythonCall<[wp_id: string, entry_type: string, content: string], HistoryAddedKwargs>) => EmitReturn;
  emit_error_logged: (...args: PythonCall<[error_type: string, message: string], ErrorLoggedKwargs>) => EmitReturn;
  emit_dependency_resolved: (...args: PythonCall<[wp_id: string, dependency_wp_id: string, resolution_type: string], DependencyResolvedKwargs>) => EmitReturn;
}

/** spec-kitty's emitter object: the helpers plus what its docs read from it. */
export interface SpecKittyEmitter extends SpecKittyHelpers {
  /** The @events emitter underneath. */
  readonly events: Emitter;
  generate_causation_id: () => string;
  readonly queue: { size: () => number };
  /** `Connected`, `Reconnecting`, `Offline` or `OfflineBatchMode`, as spec-kitty names its states. */
  get_connection_status: () => "Connected" | "Reconnecting" | "Offline" | "OfflineBatchMode";
  readonly clock: { readonly value: number; readonly node_id: string };
}

function helpersFor(emitter: () => Emitter): SpecKittyHelpers {
  const bound = (name: HelperName) => (...args: unknown[]) => emitWith(emitter(), name, args);
  return Object.fromEntries(Object.keys(HELPERS).map((name) => [name, bound(name as HelperName)])) as unknown as SpecKittyHelpers;
}

/** spec-kitty's emitter over `emitter` (default: the process's shared one). */
export function specKittyEmitter(emitter: Emitter = getEmitter()): SpecKittyEmitter {
  return {
    ...helpersFor(() => emitter),
    events: emitter,
    generate_causation_id: () => emitter.generateCausationId(),
    queue: { size: () => emitter.outbox.size() },
    get_connection_status: () => {
      switch (emitter.connectionStatus()) {
        case "connected":
          return "Connected";
        case "connecting":
          return "Reconnecting";
        case "batch":
          return "OfflineBatchMode";
        case "idle":
        case "offline":
        case "unauthenticated":
          return "Offline";
      }
    },
    clock: {
      get value() {
        return emitter.clock().value;
      },
      get node_id() {
        return emitter.clock().nodeId;
      },
    },
  };
}

/** The shared emitter, as spec-kitty's `get_emitter()`. */
export function get_emitter(): SpecKittyEmitter {
  return specKittyEmitter(getEmitter());
}

const shared = helpersFor(() => getEmitter());
export const {
  emit_wp_status_changed,
  emit_wp_created,
  emit_wp_assigned,
  emit_feature_created,
  emit_feature_completed,
  emit_history_added,
  emit_error_logged,
  emit_dependency_resolved,
} = shared;
