/**
 * One helper per common event, over the typed `emit`: the eight work-package and
 * feature types, machine events (the `send-event` family) and problems snapshots.
 */
import type { EventType, Finding, PayloadOf } from "@events/schema";
import type { EmitOptions, EmitResult } from "./emit-types.js";

export type Emit = <T extends EventType>(eventType: T, payload: PayloadOf<T>, options?: EmitOptions) => EmitResult<T>;

type Helper<T extends EventType> = (payload: PayloadOf<T>, options?: EmitOptions) => EmitResult<T>;

export interface MachineEventInput {
  /** `"ui"` for the dashboard only, else the machine that should act on it. */
  target: string;
  /** The machine event type, e.g. `state_change` or `new_job`. */
  type: string;
  /** Who sends it. @default "cli" */
  source?: string;
  /** The event's data; realtime types (`state_change`, `activity_log`, …) have a fixed shape. @default {} */
  payload?: Record<string, unknown>;
  /** The job this event belongs to. @default null */
  jobId?: string | null;
}

export interface PublishProblemsOptions extends EmitOptions {
  /** When the audit ran. @default now */
  auditAt?: string;
}

export interface EventHelpers {
  emitWpStatusChanged: Helper<"WPStatusChanged">;
  emitWpCreated: Helper<"WPCreated">;
  emitWpAssigned: Helper<"WPAssigned">;
  emitFeatureCreated: Helper<"FeatureCreated">;
  emitFeatureCompleted: Helper<"FeatureCompleted">;
  emitHistoryAdded: Helper<"HistoryAdded">;
  emitErrorLogged: Helper<"ErrorLogged">;
  emitDependencyResolved: Helper<"DependencyResolved">;
  /** Sends a machine event to `target` (the `send-event` family). */
  sendMachineEvent: (message: MachineEventInput, options?: EmitOptions) => EmitResult<"MachineEvent">;
  /** Publishes the complete current set of findings; the hub computes deltas. */
  publishProblems: (findings: readonly Finding[], options?: PublishProblemsOptions) => EmitResult<"ProblemsSnapshot">;
}

export function eventHelpers(emit: Emit, now: () => number): EventHelpers {
  const helper =
    <T extends EventType>(eventType: T): Helper<T> =>
    (payload, options) =>
      emit(eventType, payload, options);
  return {
    emitWpStatusChanged: helper("WPStatusChanged"),
    emitWpCreated: helper("WPCreated"),
    emitWpAssigned: helper("WPAssigned"),
    emitFeatureCreated: helper("FeatureCreated"),
    emitFeatureCompleted: helper("FeatureCompleted"),
    emitHistoryAdded: helper("HistoryAdded"),
    emitErrorLogged: helper("ErrorLogged"),
    emitDependencyResolved: helper("DependencyResolved"),
    sendMachineEvent: (message, options) =>
      emit(
        "MachineEvent",
        {
          source: message.source ?? "cli",
          target: message.target,
          type: message.type,
          job_id: message.jobId ?? null,
          payload: message.payload ?? {},
        },
        options,
      ),
    publishProblems: (findings, options = {}) => {
      const { auditAt, ...emitOptions } = options;
      const audit_at = auditAt ?? new Date(now()).toISOString();
      return emit("ProblemsSnapshot", { findings: [...findings], audit_at }, emitOptions);
    },
  };
}
