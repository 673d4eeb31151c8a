/**
 * Building an envelope from what the caller gave: the aggregate comes from the
 * payload (or `aggregateId`), identity and git from the emitter, the clock value is
 * a placeholder the storing transaction replaces. Input may be anything (JavaScript
 * callers, `as any`): this never throws, and what is wrong is left for validation
 * to report as issues.
 */
import { SCHEMA_VERSION, type EventType } from "@events/schema";
import type { Identity } from "../identity/identity.js";
import type { EmitOptions } from "./emit-types.js";

/** Replaced by the transaction that stores the event; 1 is the smallest valid value. */
export const PLACEHOLDER_CLOCK = 1;

interface Aggregate {
  aggregate_type: string;
  aggregate_id: unknown;
}

function field(payload: unknown, name: string): unknown {
  try {
    return typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>)[name] : undefined;
  } catch {
    return undefined;
  }
}

/** What an event is about, by its type. Unknown types get nothing: validation names them. */
export function aggregateOf(eventType: unknown, payload: unknown, aggregateId: string | undefined): Aggregate | undefined {
  const type = eventType as EventType;
  switch (type) {
    case "WPStatusChanged":
    case "WPCreated":
    case "WPAssigned":
    case "HistoryAdded":
    case "DependencyResolved":
      return { aggregate_type: "WorkPackage", aggregate_id: aggregateId ?? field(payload, "wp_id") };
    case "FeatureCreated":
    case "FeatureCompleted":
      return { aggregate_type: "Feature", aggregate_id: aggregateId ?? field(payload, "feature_slug") };
    case "ErrorLogged": {
      const wpId = field(payload, "wp_id");
      return wpId === undefined
        ? { aggregate_type: "Error", aggregate_id: aggregateId ?? "error" }
        : { aggregate_type: "WorkPackage", aggregate_id: aggregateId ?? wpId };
    }
    case "MachineEvent":
      return { aggregate_type: "Machine", aggregate_id: aggregateId ?? field(payload, "target") };
    case "task.created":
    case "task.status":
      return { aggregate_type: "Task", aggregate_id: aggregateId ?? field(payload, "task_id") };
    case "SessionEvent":
      return { aggregate_type: "Session", aggregate_id: aggregateId };
    case "ProblemsSnapshot":
      return { aggregate_type: "Problems", aggregate_id: aggregateId ?? "problems" };
    default:
      return undefined;
  }
}

export interface EnvelopeInput {
  eventType: unknown;
  payload: unknown;
  options: EmitOptions | undefined;
  identity: Identity;
  eventId: string;
  correlationId: string | null;
  timestamp: string;
}

/** A candidate envelope, to be validated. */
export function buildEnvelope(input: EnvelopeInput): Record<string, unknown> {
  const { identity, options } = input;
  const aggregate = aggregateOf(input.eventType, input.payload, options?.aggregateId);
  const git = identity.git();
  const envelope: Record<string, unknown> = {
    event_id: options?.eventId ?? input.eventId,
    event_type: input.eventType,
    aggregate_type: aggregate?.aggregate_type,
    aggregate_id: aggregate?.aggregate_id,
    payload: input.payload,
    timestamp: input.timestamp,
    node_id: identity.nodeId,
    lamport_clock: PLACEHOLDER_CLOCK,
    causation_id: options?.causationId ?? null,
    correlation_id: options?.correlationId === undefined ? input.correlationId : options.correlationId,
    project_uuid: identity.project?.uuid ?? null,
    project_slug: identity.project?.slug ?? null,
    team_slug: identity.teamSlug,
    schema_version: SCHEMA_VERSION,
  };
  // Known git facts only: an absent field says "unknown" in fewer bytes than null.
  if (git.branch !== null) envelope["git_branch"] = git.branch;
  if (git.commit !== null) envelope["head_commit_sha"] = git.commit;
  if (git.repoSlug !== null) envelope["repo_slug"] = git.repoSlug;
  return envelope;
}
