/**
 * Sessions: each session's frames (`SessionEvent` envelopes, in `seq` order) folded
 * into what a person watching wants: the phases passed so far, the current
 * progress, an open question (`input_required`, until the session moves on),
 * warnings, and the final `done` or `failed`.
 */
import type { DoneFrame, EnvelopeOf, FailedFrame, InputRequiredFrame, ProgressFrame } from "@events/schema";

export interface SessionPhase {
  readonly phase: string;
  readonly at: string;
}

export interface SessionView {
  readonly id: string;
  readonly project: string | null;
  readonly phases: readonly SessionPhase[];
  readonly progress: ProgressFrame | undefined;
  /** An open question; cleared when the session reports progress, a phase or its end. */
  readonly inputRequired: InputRequiredFrame | undefined;
  readonly warnings: readonly { readonly phase: string; readonly message: string }[];
  readonly result: DoneFrame | FailedFrame | undefined;
  readonly lastSeq: number;
  readonly updatedAt: string;
}

export type Sessions = ReadonlyMap<string, SessionView>;

/** Folds session frames (in seq order); frames at or before a session's last seq are ignored. */
export function addSessionFrames(sessions: Sessions, frames: readonly { seq: number; event: EnvelopeOf<"SessionEvent"> }[]): Sessions {
  if (frames.length === 0) return sessions;
  const next = new Map(sessions);
  for (const { seq, event } of frames) {
    const id = event.aggregate_id;
    const current = next.get(id) ?? {
      id,
      project: event.project_slug ?? event.project_uuid,
      phases: [],
      progress: undefined,
      inputRequired: undefined,
      warnings: [],
      result: undefined,
      lastSeq: 0,
      updatedAt: event.timestamp,
    };
    if (seq <= current.lastSeq) continue;
    next.set(id, apply(current, event.payload, { seq, at: event.timestamp }));
  }
  return next;
}

function apply(session: SessionView, frame: EnvelopeOf<"SessionEvent">["payload"], where: { seq: number; at: string }): SessionView {
  const base = { ...session, lastSeq: where.seq, updatedAt: where.at };
  switch (frame.kind) {
    case "phase":
      return { ...base, phases: [...session.phases, { phase: frame.phase, at: frame.at }], inputRequired: undefined };
    case "progress":
      return { ...base, progress: frame, inputRequired: undefined };
    case "input_required":
      return { ...base, inputRequired: frame };
    case "warning":
      return { ...base, warnings: [...session.warnings, { phase: frame.phase, message: frame.message }] };
    case "done":
    case "failed":
      return { ...base, result: frame, inputRequired: undefined };
  }
}

/** Newest activity first; open sessions before finished ones. */
export function sortedSessions(sessions: Sessions): SessionView[] {
  return [...sessions.values()].sort((a, b) => {
    const open = Number(a.result !== undefined) - Number(b.result !== undefined);
    return open !== 0 ? open : b.lastSeq - a.lastSeq;
  });
}

/** Progress as a whole percentage, or undefined when the total is unknown. */
export function percent(progress: ProgressFrame | undefined): number | undefined {
  if (progress === undefined || progress.total <= 0) return undefined;
  return Math.min(100, Math.round((progress.current / progress.total) * 100));
}
