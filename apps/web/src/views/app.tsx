/** The page's frame: header (project, connection, token), the view tabs, and the current view. */
import { useErrorBoundary } from "preact/hooks";
import type { Controller } from "../controller.js";
import { usePageState } from "../use-controller.js";
import { ActivityView } from "./activity-view.js";
import { AuthScreen } from "./auth-screen.js";
import { BoardView } from "./board-view.js";
import { ConnectionBadge } from "./connection-badge.js";
import { ProblemsView } from "./problems-view.js";
import { useRoute, VIEWS } from "./route.js";
import { SessionsView } from "./sessions-view.js";

export function App({ controller }: { controller: Controller }) {
  // A view that throws shows this instead of a blank page; the connection keeps running.
  const [error, reset] = useErrorBoundary() as [unknown, () => void];
  if (error !== undefined) {
    return (
      <main class="auth" aria-labelledby="crash-title">
        <h1 id="crash-title">The dashboard hit a problem</h1>
        <p role="alert">{error instanceof Error ? error.message : "an unexpected error"}</p>
        <button type="button" onClick={reset}>
          Show the dashboard again
        </button>
      </main>
    );
  }
  return <Page controller={controller} />;
}

function Page({ controller }: { controller: Controller }) {
  const state = usePageState(controller);
  const view = useRoute();
  if (state.auth.kind === "missing" || state.auth.kind === "refused") {
    return <AuthScreen auth={state.auth} onSubmit={(token) => void controller.useToken(token)} />;
  }
  const admin = state.auth.kind === "ok" && state.auth.admin;
  const projects = [...state.data.projects.entries()].sort(([, a], [, b]) => String(a).localeCompare(String(b)));
  return (
    <div class="shell">
      <a class="skip-link" href="#view" onClick={skipToView}>
        Skip to the view
      </a>
      <header class="top">
        <h1 class="brand">events</h1>
        <label class="project">
          <span>Project</span>
          <select value={state.project ?? ""} onChange={(event) => controller.selectProject(event.currentTarget.value === "" ? undefined : event.currentTarget.value)}>
            <option value="">{admin ? "All projects" : "This token's project"}</option>
            {projects.map(([uuid, slug]) => (
              <option key={uuid} value={uuid}>
                {slug ?? uuid}
              </option>
            ))}
          </select>
        </label>
        <ConnectionBadge live={state.live} onRetry={() => controller.retryNow()} />
        <button type="button" class="link-button" onClick={() => controller.signOut()}>
          Change token
        </button>
      </header>
      <nav class="tabs" aria-label="Views">
        {VIEWS.map((item) => (
          <a key={item.id} href={`#/${item.id}`} aria-current={item.id === view ? "page" : undefined}>
            {item.label}
          </a>
        ))}
      </nav>
      {state.data.notice !== undefined && (
        <div class="notice" role="alert">
          <span>{state.data.notice}</span>
          <button type="button" class="link-button" onClick={() => controller.dismissNotice()}>
            Dismiss
          </button>
        </div>
      )}
      <main id="view" class="view" tabIndex={-1}>
        {view === "activity" && <ActivityView state={state} onLoadOlder={() => void controller.loadOlder()} />}
        {view === "board" && <BoardView data={state.data} />}
        {view === "sessions" && <SessionsView data={state.data} />}
        {view === "problems" && <ProblemsView problems={state.data.problems} connection={state.problems} scope={state.project === undefined && admin ? "findings published without a project" : undefined} />}
      </main>
    </div>
  );
}

/** The skip link moves the focus to the view without touching the hash, which names the view. */
function skipToView(event: MouseEvent): void {
  event.preventDefault();
  document.getElementById("view")?.focus();
}
