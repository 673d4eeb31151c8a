/**
 * Sessions: each session's frames (`SessionEvent` envelopes) folded into what a
 * person watching wants: the phases passed so far, the current progress, an open
 * question (`input_required`, until the session moves on), warnings, and the final
 * `done` or `failed`. A session's frames are one project's, so one stream's, and
 * the fold keys everything by their `seq`, so it does not depend on arrival order: live frames and older frames read from history afterwards give the
 * same view as one replay in order, and a frame applied twice changes nothing.
 */
import type { DoneFrame, EnvelopeOf, FailedFrame, InputRequiredFrame, ProgressFrame, SessionFrame } from "@events/schema";

export interface SessionPhase {
  readonly phase: string;
  readonly at: string;
  readonly seq: number;
}

export interface SessionWarning {
  readonly phase: string;
  readonly message: string;
  readonly seq: number;
}

interface AtSeq<T> {
  readonly seq: number;
  readonly frame: T;
}

export interface SessionView {
  readonly id: string;
  readonly project: string | null;
  /** In `seq` order. */
  readonly phases: readonly SessionPhase[];
  readonly progress: ProgressFrame | undefined;
  /** An open question: the latest `input_required`, unless a phase, progress or end came after it. */
  readonly inputRequired: InputRequiredFrame | undefined;
  readonly warnings: readonly SessionWarning[];
  readonly result: DoneFrame | FailedFrame | undefined;
  readonly lastSeq: number;
  readonly updatedAt: string;
  /** The frames behind the fields above, by seq (the fold's own bookkeeping). */
  readonly latest: {
    readonly progress: AtSeq<ProgressFrame> | undefined;
    readonly question: AtSeq<InputRequiredFrame> | undefined;
    readonly result: AtSeq<DoneFrame | FailedFrame> | undefined;
    /** The last phase, progress or end: a question before it has been answered. */
    readonly moveSeq: number;
  };
}

export type Sessions = ReadonlyMap<string, SessionView>;

/** Folds session frames, in any order; a frame already applied (same seq) is ignored. */
export function addSessionFrames(sessions: Sessions, frames: readonly { seq: number; event: EnvelopeOf<"SessionEvent"> }[]): Sessions {
  if (frames.length === 0) return sessions;
  const next = new Map(sessions);
  for (const { seq, event } of frames) {
    const id = event.aggregate_id;
    const current = next.get(id) ?? emptySession(id, event);
    next.set(id, apply(current, event.payload, { seq, at: event.timestamp }));
  }
  return next;
}

function emptySession(id: string, event: EnvelopeOf<"SessionEvent">): SessionView {
  return {
    id,
    project: event.project_slug ?? event.project_uuid,
    phases: [],
    progress: undefined,
    inputRequired: undefined,
    warnings: [],
    result: undefined,
    lastSeq: 0,
    updatedAt: event.timestamp,
    latest: { progress: undefined, question: undefined, result: undefined, moveSeq: 0 },
  };
}

function apply(session: SessionView, frame: SessionFrame, where: { seq: number; at: string }): SessionView {
  const { seq } = where;
  let { phases, warnings } = session;
  let latest = session.latest;
  const newer = <T>(held: AtSeq<T> | undefined): boolean => held === undefined || held.seq < seq;
  switch (frame.kind) {
    case "phase":
      phases = insertBySeq(phases, { phase: frame.phase, at: frame.at, seq });
      latest = { ...latest, moveSeq: Math.max(latest.moveSeq, seq) };
      break;
    case "progress":
      latest = { ...latest, moveSeq: Math.max(latest.moveSeq, seq), progress: newer(latest.progress) ? { seq, frame } : latest.progress };
      break;
    case "input_required":
      if (newer(latest.question)) latest = { ...latest, question: { seq, frame } };
      break;
    case "warning":
      warnings = insertBySeq(warnings, { phase: frame.phase, message: frame.message, seq });
      break;
    case "done":
    case "failed":
      latest = { ...latest, moveSeq: Math.max(latest.moveSeq, seq), result: newer(latest.result) ? { seq, frame } : latest.result };
      break;
  }
  const question = latest.question;
  const isNewest = seq > session.lastSeq;
  return {
    ...session,
    phases,
    warnings,
    latest,
    progress: latest.progress?.frame,
    inputRequired: question !== undefined && question.seq > latest.moveSeq ? question.frame : undefined,
    result: latest.result?.frame,
    lastSeq: isNewest ? seq : session.lastSeq,
    updatedAt: isNewest ? where.at : session.updatedAt,
  };
}

/** Inserts keeping `seq` order; the same seq twice is kept once. */
function insertBySeq<T extends { readonly seq: number }>(items: readonly T[], item: T): readonly T[] {
  let index = items.length;
  while (index > 0 && items[index - 1]!.seq > item.seq) index--;
  if (index > 0 && items[index - 1]!.seq === item.seq) return items;
  return [...items.slice(0, index), item, ...items.slice(index)];
}

/**
 * Newest activity first (by the time of each session's last frame: sessions of
 * different projects have no seq order between them); open sessions before finished ones.
 */
export function sortedSessions(sessions: Sessions): SessionView[] {
  return [...sessions.values()].sort((a, b) => {
    const open = Number(a.result !== undefined) - Number(b.result !== undefined);
    return open !== 0 ? open : Date.parse(b.updatedAt) - Date.parse(a.updatedAt) || a.id.localeCompare(b.id);
  });
}

/** Progress as a whole percentage, or undefined when the total is unknown. */
export function percent(progress: ProgressFrame | undefined): number | undefined {
  if (progress === undefined || progress.total <= 0) return undefined;
  return Math.min(100, Math.round((progress.current / progress.total) * 100));
}
