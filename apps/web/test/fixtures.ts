/** Envelopes for the page's unit tests: valid by the schema's rules, with only what a test cares about given. */
import type { Envelope, EnvelopeOf, Finding, SessionFrame, LaneInput } from "@events/schema";
import type { LiveEvent } from "../src/state/live-event.js";

export const PROJECT = "0b9f8a56-0c52-4f3e-9d47-5b0c7d6f1a21";
let counter = 0;

function ulid(n: number): string {
  return `01J0000000000000000000${String(n).padStart(4, "0")}`.slice(0, 26);
}

function base(n: number) {
  return {
    event_id: ulid(n),
    timestamp: "2026-05-01T10:00:00.000Z",
    node_id: "node-a",
    lamport_clock: n,
    causation_id: null,
    correlation_id: null,
    project_uuid: PROJECT,
    project_slug: "demo",
    team_slug: "local",
    schema_version: "1.0.0",
  };
}

export function statusChanged(wp: string, from: LaneInput | null, to: LaneInput, extra: { feature?: string; n?: number } = {}): EnvelopeOf<"WPStatusChanged"> {
  const n = extra.n ?? ++counter;
  return {
    ...base(n),
    event_type: "WPStatusChanged",
    aggregate_type: "WorkPackage",
    aggregate_id: wp,
    payload: { wp_id: wp, from_lane: from, to_lane: to, ...(extra.feature === undefined ? {} : { feature_slug: extra.feature }) },
  };
}

export function activity(message: string, options: { level?: "info" | "error" | "warning"; source?: string; node?: string; n?: number } = {}): EnvelopeOf<"MachineEvent"> {
  const n = options.n ?? ++counter;
  return {
    ...base(n),
    node_id: options.node ?? "node-a",
    event_type: "MachineEvent",
    aggregate_type: "Machine",
    aggregate_id: options.source ?? "cli",
    payload: { source: options.source ?? "cli", target: "ui", type: "activity_log", payload: { message, level: options.level ?? "info" } },
  };
}

export function session(id: string, frame: SessionFrame, n = ++counter): EnvelopeOf<"SessionEvent"> {
  return { ...base(n), event_type: "SessionEvent", aggregate_type: "Session", aggregate_id: id, payload: frame };
}

/** Events as delivered in their project's stream, numbered from `firstSeq`. */
export function delivered(events: readonly Envelope[], firstSeq = 1): LiveEvent[] {
  return events.map((event, index) => ({ stream: event.project_uuid ?? "-", seq: firstSeq + index, channel: "events", event }));
}

/** The same envelope in another project's stream (or, with null, in the stream of events without a project). */
export function inProject<E extends Envelope>(event: E, project: string | null): E {
  return { ...event, project_uuid: project, project_slug: project === null ? null : "other" };
}

export function problemsSnapshot(findings: Finding[], auditAt: string, n = ++counter): EnvelopeOf<"ProblemsSnapshot"> {
  return { ...base(n), event_type: "ProblemsSnapshot", aggregate_type: "Problems", aggregate_id: PROJECT, payload: { findings, audit_at: auditAt } };
}
