/** Problems: the current findings, with the latest change's added, changed and removed rows highlighted. */
import { findingKey } from "@events/schema";
import type { ConnectionState } from "../net/connection-state.js";
import type { ProblemsState } from "../state/problems.js";

export function ProblemsView({ problems, connection, scope }: { problems: ProblemsState; connection: ConnectionState; scope: string | undefined }) {
  const counts = { added: 0, changed: 0 };
  for (const change of problems.highlight.values()) counts[change]++;
  return (
    <section aria-labelledby="problems-title">
      <div class="view-head">
        <h2 id="problems-title">Problems</h2>
        <p class="muted small">
          {scope !== undefined && <>{scope}; </>}
          {problems.auditAt === undefined ? "no audit yet" : `audit at ${new Date(problems.auditAt).toLocaleString()}`}
          {connection.status !== "live" && ` (${connection.status})`}
        </p>
      </div>
      {problems.changedAt !== undefined && (
        <p class="delta-summary" aria-live="polite">
          Latest change: <span class="chip chip-added">{counts.added} added</span> <span class="chip chip-changed">{counts.changed} changed</span>{" "}
          <span class="chip chip-removed">{problems.removed.length} removed</span>
        </p>
      )}
      {problems.findings.length === 0 && problems.removed.length === 0 ? (
        <p class="empty">{problems.loaded ? "No findings." : "Waiting for the hub…"}</p>
      ) : (
        <table class="problems">
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Severity</th>
              <th scope="col">Rule</th>
              <th scope="col">Path</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {problems.findings.map((finding) => {
              const key = findingKey(finding);
              const change = problems.highlight.get(key);
              return (
                <tr key={key} class={change === undefined ? undefined : `row-${change}`} data-change={change ?? "none"} data-rule={finding.rule} data-path={finding.offending_path}>
                  <td>{change === undefined ? "" : <span class={`chip chip-${change}`}>{change}</span>}</td>
                  <td>
                    <span class={`level level-${finding.severity ?? "info"}`}>{finding.severity ?? "info"}</span>
                  </td>
                  <td class="mono">{finding.rule}</td>
                  <td class="mono">{finding.offending_path}</td>
                  <td>{finding.message ?? ""}</td>
                </tr>
              );
            })}
            {problems.removed.map((finding) => (
              <tr key={`removed-${findingKey(finding)}`} class="row-removed" data-change="removed" data-rule={finding.rule} data-path={finding.offending_path}>
                <td>
                  <span class="chip chip-removed">removed</span>
                </td>
                <td>{finding.severity ?? "info"}</td>
                <td class="mono">
                  <del>{finding.rule}</del>
                </td>
                <td class="mono">
                  <del>{finding.offending_path}</del>
                </td>
                <td>
                  <del>{finding.message ?? ""}</del>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
