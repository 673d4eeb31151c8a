/**
 * Folds `WPStatusChanged` events into the lane of every work package. The result
 * depends only on the set of events: they are ordered by `(lamport_clock, node_id,
 * event_id)` and deduplicated by `event_id` first, so input order and repeats do not
 * matter. A move the matrix forbids is not applied; it is listed as an anomaly.
 */
import { canonicalLane, checkTransition, type Lane } from "../lanes.js";
import type { Envelope, EnvelopeOf } from "../schemas/envelope.js";
import { orderedUnique } from "./total-order.js";

export interface WorkPackageStatus {
  readonly project_uuid: string | null;
  readonly feature_slug: string | null;
  readonly wp_id: string;
  readonly lane: Lane;
  /** The event that put it in this lane. */
  readonly event_id: string;
  readonly lamport_clock: number;
  /** How many moves were applied. */
  readonly transitions: number;
}

export type AnomalyKind =
  /** The matrix forbids the move (or it was forced without a reason). */
  | "illegal_transition"
  /** `from_lane` disagrees with the lane the work package is in. */
  | "stale_from_lane"
  /** A lane no one knows. */
  | "unknown_lane";

export interface StatusAnomaly {
  readonly kind: AnomalyKind;
  readonly event_id: string;
  readonly wp_id: string;
  readonly feature_slug: string | null;
  readonly from_lane: string | null;
  readonly to_lane: string;
  /** The lane the work package was in when the event applied. */
  readonly current_lane: Lane | null;
  readonly message: string;
}

export interface StatusReduction {
  /** Sorted by project, feature and work package. */
  readonly workPackages: readonly WorkPackageStatus[];
  /** In event order. */
  readonly anomalies: readonly StatusAnomaly[];
}

type StatusEvent = EnvelopeOf<"WPStatusChanged">;

/** The key of a work package: the same id may recur in other features and projects. */
export function workPackageKey(projectUuid: string | null, featureSlug: string | null, wpId: string): string {
  return `${projectUuid ?? ""}\u0000${featureSlug ?? ""}\u0000${wpId}`;
}

export function reduceStatus(events: Iterable<Envelope>): StatusReduction {
  const statusEvents: StatusEvent[] = [];
  for (const event of events) if (event.event_type === "WPStatusChanged") statusEvents.push(event);

  const state = new Map<string, WorkPackageStatus>();
  const anomalies: StatusAnomaly[] = [];
  for (const event of orderedUnique(statusEvents)) {
    const { payload } = event;
    const featureSlug = payload.feature_slug ?? null;
    const key = workPackageKey(event.project_uuid, featureSlug, payload.wp_id);
    const current = state.get(key);
    const currentLane = current?.lane ?? null;
    const anomaly = (kind: AnomalyKind, message: string): void => {
      anomalies.push({
        kind,
        event_id: event.event_id,
        wp_id: payload.wp_id,
        feature_slug: featureSlug,
        from_lane: payload.from_lane,
        to_lane: payload.to_lane,
        current_lane: currentLane,
        message,
      });
    };

    const to = canonicalLane(payload.to_lane);
    const from = payload.from_lane === null ? null : canonicalLane(payload.from_lane);
    if (to === undefined || from === undefined) {
      anomaly("unknown_lane", `${payload.wp_id}: unknown lane in ${String(payload.from_lane)} -> ${payload.to_lane}`);
      continue;
    }
    if (from !== currentLane) {
      anomaly(
        "stale_from_lane",
        `${payload.wp_id}: event says it left ${from ?? "(none)"}, but it was in ${currentLane ?? "(none)"}`,
      );
    }
    const check = checkTransition(currentLane, to, payload);
    if (!check.ok) {
      anomaly("illegal_transition", `${payload.wp_id}: ${check.message}`);
      continue;
    }
    state.set(key, {
      project_uuid: event.project_uuid,
      feature_slug: featureSlug,
      wp_id: payload.wp_id,
      lane: to,
      event_id: event.event_id,
      lamport_clock: event.lamport_clock,
      transitions: (current?.transitions ?? 0) + 1,
    });
  }
  const workPackages = [...state.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, status]) => status);
  return { workPackages, anomalies };
}
