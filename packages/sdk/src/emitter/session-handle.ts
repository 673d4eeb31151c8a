/**
 * A session: one pipeline run reporting on its own channel. Each method emits one
 * `SessionEvent` frame; after `done` or `failed` (the channel closes) the handle
 * refuses further frames with an `invalid` result rather than sending them.
 */
import { receivedText, type SessionFrame } from "@events/schema";
import type { EmitOptions, EmitResult } from "./emit-types.js";

type Json = Record<string, unknown>;
type SessionResult = EmitResult<"SessionEvent">;

export interface InputRequest {
  /** What the run needs answered, one object per field. */
  fields: Json[];
  reason: string;
  /** The plugin asking. @default null */
  plugin?: string | null;
}

export interface SessionHandle {
  readonly id: string;
  /** The run entered `phase` (at `at`, default now). */
  phase: (phase: string, at?: string) => SessionResult;
  progress: (phase: string, current: number, total: number) => SessionResult;
  inputRequired: (request: InputRequest) => SessionResult;
  warning: (phase: string, message: string) => SessionResult;
  /** The run succeeded; the session's last frame. */
  done: (result?: Json) => SessionResult;
  /** The run failed in `phase`; the session's last frame. */
  failed: (phase: string, error: { code: string; message: string }) => SessionResult;
}

export interface SessionDeps {
  emit: (frame: SessionFrame, options: EmitOptions) => SessionResult;
  now: () => number;
}

export function createSessionHandle(id: string, deps: SessionDeps, options: EmitOptions = {}): SessionHandle {
  let ended: string | undefined;
  const send = (frame: SessionFrame): SessionResult => {
    if (ended !== undefined) {
      const message = `session ${id} already ended with ${ended}; no frame may follow`;
      return {
        ok: false,
        reason: "invalid",
        message,
        issues: [{ path: "/payload/kind", expected: `no frame after ${ended}`, received: receivedText(frame.kind), message }],
      };
    }
    const result = deps.emit(frame, { ...options, aggregateId: id });
    if (result.ok && (frame.kind === "done" || frame.kind === "failed")) ended = frame.kind;
    return result;
  };
  return {
    id,
    phase: (phase, at) => send({ kind: "phase", phase, at: at ?? new Date(deps.now()).toISOString() }),
    progress: (phase, current, total) => send({ kind: "progress", phase, current, total }),
    inputRequired: (request) => send({ kind: "input_required", fields: request.fields, reason: request.reason, plugin: request.plugin ?? null }),
    warning: (phase, message) => send({ kind: "warning", phase, message }),
    done: (result) => send({ kind: "done", result: result ?? {} }),
    failed: (phase, error) => send({ kind: "failed", phase, error }),
  };
}
