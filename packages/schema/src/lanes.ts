/**
 * The seven canonical lanes of a work package, the aliases accepted on input, and
 * the transition matrix. `doing` is accepted everywhere a lane is read and is
 * always stored and emitted as `in_progress`.
 */

export const LANES = [
  "planned",
  "claimed",
  "in_progress",
  "for_review",
  "done",
  "blocked",
  "canceled",
] as const;

export type Lane = (typeof LANES)[number];

export const LANE_ALIASES: Readonly<Record<string, Lane>> = Object.freeze({ doing: "in_progress" });

/** Lanes as they may arrive on the wire: canonical, or an alias. */
export const LANE_INPUTS = [...LANES, "doing"] as const;
export type LaneInput = (typeof LANE_INPUTS)[number];

export const TERMINAL_LANES: ReadonlySet<Lane> = new Set<Lane>(["done", "canceled"]);

const LANE_SET: ReadonlySet<string> = new Set(LANES);

export function isLane(value: unknown): value is Lane {
  return typeof value === "string" && LANE_SET.has(value);
}

/**
 * The canonical lane an alias stands for; `undefined` for a canonical lane or
 * anything else. On every decoded status event, so a comparison, not a lookup;
 * a test keeps it in step with LANE_ALIASES.
 */
export function laneAlias(value: string): Lane | undefined {
  return value === "doing" ? "in_progress" : undefined;
}

/** The canonical lane for a lane or alias; `undefined` for anything else. */
export function canonicalLane(value: unknown): Lane | undefined {
  if (typeof value !== "string") return undefined;
  if (LANE_SET.has(value)) return value as Lane;
  return LANE_ALIASES[value];
}

export interface TransitionOptions {
  /** Bypass the matrix; only honoured together with a `reason`. @default false */
  force?: boolean | undefined;
  reason?: string | undefined;
  /** Required to send work back from review to in progress. */
  review_ref?: string | undefined;
}

export type TransitionCheck =
  | { readonly ok: true; readonly forced: boolean }
  | { readonly ok: false; readonly message: string };

type Guard = "reason" | "review_ref" | null;

/** `from -> to -> guard`; a missing entry is an illegal move. */
const MATRIX: ReadonlyMap<Lane | null, ReadonlyMap<Lane, Guard>> = buildMatrix();

function buildMatrix(): Map<Lane | null, Map<Lane, Guard>> {
  const matrix = new Map<Lane | null, Map<Lane, Guard>>();
  const allow = (from: Lane | null, to: Lane, guard: Guard = null): void => {
    const row = matrix.get(from) ?? new Map<Lane, Guard>();
    row.set(to, guard);
    matrix.set(from, row);
  };
  allow(null, "planned");
  allow("planned", "claimed");
  allow("claimed", "in_progress");
  allow("in_progress", "for_review");
  allow("for_review", "done");
  allow("for_review", "in_progress", "review_ref");
  allow("in_progress", "planned", "reason");
  allow("blocked", "in_progress");
  for (const lane of LANES) {
    if (TERMINAL_LANES.has(lane)) continue;
    if (lane !== "blocked") allow(lane, "blocked");
    allow(lane, "canceled");
  }
  return matrix;
}

/** Whether a work package may move `from -> to` (`from` null: it has no lane yet). */
export function checkTransition(
  from: Lane | null,
  to: Lane,
  options: TransitionOptions = {},
): TransitionCheck {
  const guard = MATRIX.get(from)?.get(to);
  const label = `${from ?? "(none)"} -> ${to}`;
  if (guard === undefined) {
    if (options.force === true) {
      if (nonEmpty(options.reason)) return { ok: true, forced: true };
      return { ok: false, message: `${label} is forced but has no reason; give one with the force` };
    }
    return { ok: false, message: `${label} is not an allowed transition${allowedHint(from)}` };
  }
  if (guard === "reason" && !nonEmpty(options.reason)) {
    return { ok: false, message: `${label} needs a reason` };
  }
  if (guard === "review_ref" && !nonEmpty(options.review_ref)) {
    return { ok: false, message: `${label} needs a review_ref` };
  }
  return { ok: true, forced: false };
}

/** Lanes reachable from `from` without force. */
export function allowedTargets(from: Lane | null): readonly Lane[] {
  return [...(MATRIX.get(from)?.keys() ?? [])];
}

function allowedHint(from: Lane | null): string {
  const targets = allowedTargets(from);
  return targets.length === 0 ? ` (${from ?? "(none)"} is terminal)` : ` (allowed: ${targets.join(", ")})`;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim().length > 0;
}
