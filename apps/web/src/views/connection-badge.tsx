/** The connection indicator: a coloured dot and words (never colour alone), announced politely to screen readers. */
import type { ConnectionState } from "../net/connection-state.js";

const LABELS: Readonly<Record<ConnectionState["status"], string>> = {
  connecting: "Connecting",
  live: "Live",
  reconnecting: "Reconnecting",
  unauthorized: "Token refused",
  forbidden: "Not allowed",
  stopped: "Not connected",
};

export function ConnectionBadge({ live, onRetry }: { live: ConnectionState; onRetry: () => void }) {
  return (
    <div class={`connection connection-${live.status}`} role="status" aria-live="polite" data-status={live.status}>
      <span class="dot" aria-hidden="true" />
      <span class="connection-label">{LABELS[live.status]}</span>
      {live.status !== "live" && live.reason !== "" && <span class="connection-reason">{live.reason}</span>}
      {live.status === "reconnecting" && (
        <button type="button" class="link-button" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}
