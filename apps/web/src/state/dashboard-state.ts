/**
 * Everything the page shows, as one immutable value, and the functions that fold
 * events into it. Views read it; only the live client (events after the cursor),
 * the history loader (the newest page behind the live stream's start, older
 * activity on demand, and the board's and sessions' history behind it) and the
 * problems channel write it. Every fold is keyed by stream and `seq`, or by
 * `event_id`, so history read after live events gives the same state as one replay
 * in order.
 */
import type { EnvelopeOf } from "@events/schema";
import { addLive, addOlder, emptyActivity, type ActivityState } from "./activity.js";
import { addToBoard, emptyBoardSource, type BoardSource } from "./board.js";
import type { LiveEvent } from "./live-event.js";
import { applyProblemsFrame, emptyProblems, type ProblemsState } from "./problems.js";
import { advance, initialCursor, type ResumeCursor } from "./resume-cursor.js";
import { addSessionFrames, type Sessions } from "./sessions.js";

export interface DashboardState {
  readonly cursor: ResumeCursor;
  readonly activity: ActivityState;
  readonly board: BoardSource;
  readonly sessions: Sessions;
  readonly problems: ProblemsState;
  /** Projects seen on events (uuid -> slug), for the project selector. */
  readonly projects: ReadonlyMap<string, string | null>;
  /** Set when the hub said part of the history is gone (retention), or a read failed. */
  readonly notice: string | undefined;
  /** Reading the board's and the sessions' history, behind the newest page. */
  readonly backfill: BackfillState;
}

/** `loading` until the board's and sessions' history is in; `partial` when a limit cut it short. */
export type BackfillState = "idle" | "loading" | "done" | "partial";

export function emptyDashboard(): DashboardState {
  return {
    cursor: initialCursor(),
    activity: emptyActivity(),
    board: emptyBoardSource(),
    sessions: new Map(),
    problems: emptyProblems(),
    projects: new Map(),
    notice: undefined,
    backfill: "idle",
  };
}

/**
 * The first page of history the page shows: the newest events up to where the live
 * stream started (newest first, as history returns them). Whatever the live stream
 * delivered meanwhile is newer, so the page goes below it.
 */
export function applyNewest(state: DashboardState, page: readonly LiveEvent[], hasMore: boolean): DashboardState {
  return { ...applyBackfill(state, page), activity: addOlder(state.activity, page, hasMore) };
}

/**
 * Older events read for the board and the sessions (at or below the cursor). They
 * are not activity: the log shows a contiguous run of the newest events only.
 */
export function applyBackfill(state: DashboardState, events: readonly LiveEvent[]): DashboardState {
  if (events.length === 0) return state;
  // A session's frames are one project's, so one stream's: their seqs order them.
  const sessionFrames: { seq: number; event: EnvelopeOf<"SessionEvent"> }[] = [];
  for (const { seq, event } of events) if (event.event_type === "SessionEvent") sessionFrames.push({ seq, event });
  return {
    ...state,
    board: addToBoard(state.board, events.map((item) => item.event)),
    sessions: addSessionFrames(state.sessions, sessionFrames),
    projects: withProjects(state.projects, events),
  };
}

/** Applies delivered events; repeats (at or below their stream's cursor) are dropped. */
export function applyEvents(state: DashboardState, batch: readonly LiveEvent[]): DashboardState {
  const { cursor, fresh } = advance(state.cursor, batch);
  if (fresh.length === 0) return state;
  return { ...applyBackfill(state, fresh), cursor, activity: addLive(state.activity, fresh) };
}

function withProjects(projects: ReadonlyMap<string, string | null>, events: readonly LiveEvent[]): ReadonlyMap<string, string | null> {
  let next: Map<string, string | null> | undefined;
  for (const { event } of events) {
    if (event.project_uuid !== null && (next ?? projects).get(event.project_uuid) !== (event.project_slug ?? null)) {
      next ??= new Map(projects);
      next.set(event.project_uuid, event.project_slug ?? null);
    }
  }
  return next ?? projects;
}

export function applyOlder(state: DashboardState, page: readonly LiveEvent[], hasMore: boolean): DashboardState {
  return { ...state, activity: addOlder(state.activity, page, hasMore) };
}

export { applyProblemsFrame };
