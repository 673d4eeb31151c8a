/**
 * Everything the page shows, as one immutable value, and the one function that
 * folds a batch of delivered events into it. Views read it; only the live client
 * (events), the history loader (older activity) and the problems channel write it.
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
  /** Set when the hub said part of the history is gone (retention). */
  readonly notice: string | undefined;
}

export function emptyDashboard(): DashboardState {
  return {
    cursor: initialCursor(),
    activity: emptyActivity(),
    board: emptyBoardSource(),
    sessions: new Map(),
    problems: emptyProblems(),
    projects: new Map(),
    notice: undefined,
  };
}

/** Applies delivered events; repeats (at or below the cursor) are dropped. */
export function applyEvents(state: DashboardState, batch: readonly LiveEvent[]): DashboardState {
  const { cursor, fresh } = advance(state.cursor, batch);
  if (fresh.length === 0) return state;
  const sessionFrames: { seq: number; event: EnvelopeOf<"SessionEvent"> }[] = [];
  let projects: Map<string, string | null> | undefined;
  for (const { seq, event } of fresh) {
    if (event.event_type === "SessionEvent") sessionFrames.push({ seq, event });
    if (event.project_uuid !== null && state.projects.get(event.project_uuid) !== (event.project_slug ?? null)) {
      projects ??= new Map(state.projects);
      projects.set(event.project_uuid, event.project_slug ?? null);
    }
  }
  return {
    ...state,
    cursor,
    activity: addLive(state.activity, fresh),
    board: addToBoard(state.board, fresh.map((item) => item.event)),
    sessions: addSessionFrames(state.sessions, sessionFrames),
    projects: projects ?? state.projects,
  };
}

export function applyOlder(state: DashboardState, page: readonly LiveEvent[], hasMore: boolean): DashboardState {
  return { ...state, activity: addOlder(state.activity, page, hasMore) };
}

export { applyProblemsFrame };
