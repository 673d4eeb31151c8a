/** Sessions: each one's phase timeline, progress bar, open question and final result. */
import { useMemo } from "preact/hooks";
import type { DashboardState } from "../state/dashboard-state.js";
import { percent, sortedSessions, type SessionView } from "../state/sessions.js";
import { BackfillNote } from "./board-view.js";

export function SessionsView({ data }: { data: DashboardState }) {
  const sessions = useMemo(() => sortedSessions(data.sessions), [data.sessions]);
  return (
    <section aria-labelledby="sessions-title">
      <div class="view-head">
        <h2 id="sessions-title">Sessions</h2>
      </div>
      <BackfillNote state={data.backfill} />
      {sessions.length === 0 && data.backfill !== "loading" && <p class="empty">No sessions yet.</p>}
      <ul class="sessions">
        {sessions.map((session) => (
          <li key={session.id}>
            <SessionCard session={session} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function SessionCard({ session }: { session: SessionView }) {
  const result = session.result;
  const status = result?.kind ?? (session.inputRequired !== undefined ? "input_required" : "running");
  const pct = percent(session.progress);
  const headingId = `session-${session.id}`;
  return (
    <article class={`session session-${status}`} data-session={session.id} data-status={status} aria-labelledby={headingId}>
      <header>
        <h3 id={headingId} class="mono">
          {session.id}
        </h3>
        <span class={`badge badge-${status}`}>{status.replace("_", " ")}</span>
        {session.project !== null && <span class="muted small">{session.project}</span>}
      </header>
      <ol class="timeline" aria-label="Phases">
        {session.phases.map((phase, index) => (
          <li key={phase.seq} aria-current={index === session.phases.length - 1 && result === undefined ? "step" : undefined}>
            <span>{phase.phase}</span> <time dateTime={phase.at} class="muted small">{new Date(phase.at).toLocaleTimeString(undefined, { hour12: false })}</time>
          </li>
        ))}
      </ol>
      {session.progress !== undefined && (
        <div class="progress-row">
          <span id={`${headingId}-progress`}>{session.progress.phase}</span>
          <div
            class="progress"
            role="progressbar"
            aria-labelledby={`${headingId}-progress`}
            aria-valuemin={0}
            aria-valuemax={session.progress.total}
            aria-valuenow={session.progress.current}
            aria-valuetext={`${session.progress.current} of ${session.progress.total}`}
          >
            <div class="progress-fill" style={{ width: `${pct ?? 0}%` }} />
          </div>
          <span class="mono small">
            {session.progress.current}/{session.progress.total}
          </span>
        </div>
      )}
      {session.inputRequired !== undefined && (
        <div class="input-required" role="alert">
          <strong>Input required</strong>: {session.inputRequired.reason}
          {session.inputRequired.plugin !== null && <span class="muted"> ({session.inputRequired.plugin})</span>}
        </div>
      )}
      {session.warnings.length > 0 && (
        <ul class="warnings" aria-label="Warnings">
          {session.warnings.map((warning, index) => (
            <li key={index}>
              {warning.phase}: {warning.message}
            </li>
          ))}
        </ul>
      )}
      {result?.kind === "done" && (
        <p class="result result-done">
          Done <code>{JSON.stringify(result.result)}</code>
        </p>
      )}
      {result?.kind === "failed" && (
        <p class="result result-failed">
          Failed in {result.phase}: <code>{result.error.code}</code> {result.error.message}
        </p>
      )}
    </article>
  );
}
