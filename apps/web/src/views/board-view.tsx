/** The work-package board: one row of seven lanes per project and feature, with its anomalies. */
import { useMemo } from "preact/hooks";
import { LANES } from "@events/schema";
import { buildBoard } from "../state/board.js";
import type { DashboardState } from "../state/dashboard-state.js";

const LANE_LABELS: Readonly<Record<(typeof LANES)[number], string>> = {
  planned: "Planned",
  claimed: "Claimed",
  in_progress: "In progress",
  for_review: "For review",
  done: "Done",
  blocked: "Blocked",
  canceled: "Canceled",
};

export function BoardView({ data }: { data: DashboardState }) {
  const board = useMemo(() => buildBoard(data.board), [data.board]);
  return (
    <section aria-labelledby="board-title">
      <div class="view-head">
        <h2 id="board-title">Work packages</h2>
        {board.anomalies > 0 && <p class="anomaly-count">{plural(board.anomalies, "anomaly", "anomalies")}</p>}
      </div>
      <BackfillNote state={data.backfill} />
      {board.groups.length === 0 && data.backfill !== "loading" && <p class="empty">No work-package status yet. Try <code>events wp status WP01 --to planned</code>.</p>}
      {board.groups.map((group) => {
        const title = `${group.project === null ? "no project" : (data.projects.get(group.project) ?? group.project)} / ${group.feature ?? "no feature"}`;
        return (
          <section key={group.key} class="board-group" aria-label={title}>
            <h3>{title}</h3>
            <div class="lanes">
              {LANES.map((lane) => (
                <section key={lane} class={`lane lane-${lane}`} data-lane={lane} aria-label={`${LANE_LABELS[lane]} (${group.lanes[lane].length})`}>
                  <h4>
                    {LANE_LABELS[lane]} <span class="lane-count">{group.lanes[lane].length}</span>
                  </h4>
                  <ul>
                    {group.lanes[lane].map((card) => (
                      <li key={card.key} class="card" data-wp={card.wpId} data-lane={lane}>
                        <strong>{card.wpId}</strong>
                        {card.title !== undefined && <span class="card-title">{card.title}</span>}
                        <span class="muted small">{plural(card.transitions, "move", "moves")}</span>
                      </li>
                    ))}
                  </ul>
                </section>
              ))}
            </div>
            {group.anomalies.length > 0 && (
              <details class="anomalies" open>
                <summary>{plural(group.anomalies.length, "anomaly", "anomalies")}</summary>
                <ul>
                  {group.anomalies.map((anomaly) => (
                    <li key={`${anomaly.event_id}-${anomaly.kind}`} data-kind={anomaly.kind}>
                      <span class="tag">{anomaly.kind.replace(/_/g, " ")}</span> {anomaly.message}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </section>
        );
      })}
    </section>
  );
}

/** Says when the board is still reading its history, or was cut short, so a half-built board is never taken for the real one. */
export function BackfillNote({ state }: { state: DashboardState["backfill"] }) {
  return (
    <p class="muted small backfill" role="status" data-backfill={state}>
      {state === "loading" ? "Reading older history…" : state === "partial" ? "Older history was not read in full: the oldest moves may be missing." : ""}
    </p>
  );
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
