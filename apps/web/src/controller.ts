/**
 * The page's one source of truth: the dashboard state, the connections' states and
 * the token, behind `subscribe`/`get` so views re-render on change and nothing
 * else writes. It owns the live and problems clients and restarts them when the
 * token or the project changes.
 */
import type { ProblemsFrame } from "@events/schema";
import { isAdmin, olderEvents, streamTicket, type AuthProblem } from "./net/api.js";
import type { ConnectionState } from "./net/connection-state.js";
import { LiveClient } from "./net/live-client.js";
import { ProblemsClient } from "./net/problems-client.js";
import { forgetToken, loadToken, saveToken } from "./net/token-store.js";
import { oldestSeq } from "./state/activity.js";
import { applyEvents, applyOlder, applyProblemsFrame, emptyDashboard, type DashboardState } from "./state/dashboard-state.js";
import type { LiveEvent } from "./state/live-event.js";

const HISTORY_PAGE = 200;

export type AuthState =
  | { readonly kind: "missing" }
  | { readonly kind: "checking" }
  | { readonly kind: "refused"; readonly problem: AuthProblem; readonly message: string }
  | { readonly kind: "ok"; readonly admin: boolean };

export interface PageState {
  readonly auth: AuthState;
  readonly data: DashboardState;
  readonly live: ConnectionState;
  readonly problems: ConnectionState;
  /** The project shown: a uuid, or undefined for the token's own (the admin: every project). */
  readonly project: string | undefined;
  readonly loadingOlder: boolean;
}

const IDLE: ConnectionState = { status: "stopped", reason: "not started" };

export class Controller {
  #state: PageState;
  readonly #listeners = new Set<() => void>();
  #token: string | undefined;
  #live: LiveClient | undefined;
  #problems: ProblemsClient | undefined;

  constructor() {
    this.#token = loadToken();
    this.#state = {
      auth: this.#token === undefined ? { kind: "missing" } : { kind: "checking" },
      data: emptyDashboard(),
      live: IDLE,
      problems: IDLE,
      project: undefined,
      loadingOlder: false,
    };
  }

  get = (): PageState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #set(patch: Partial<PageState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const listener of this.#listeners) listener();
  }

  /** Checks the stored token and starts streaming when the hub accepts it. */
  async start(): Promise<void> {
    const token = this.#token;
    if (token === undefined) return this.#set({ auth: { kind: "missing" } });
    this.#set({ auth: { kind: "checking" } });
    const ticket = await streamTicket(token);
    if (token !== this.#token) return;
    if (!ticket.ok) {
      if (ticket.auth !== undefined) return this.#set({ auth: { kind: "refused", problem: ticket.auth, message: ticket.message } });
      // The hub is down: keep the token and let the live client retry with backoff.
    }
    this.#set({ auth: { kind: "ok", admin: await isAdmin(token) } });
    this.#connect();
  }

  async useToken(token: string): Promise<void> {
    this.#stopClients();
    saveToken(token);
    this.#token = token.trim();
    this.#set({ data: emptyDashboard(), project: undefined });
    await this.start();
  }

  signOut(): void {
    this.#stopClients();
    forgetToken();
    this.#token = undefined;
    this.#set({ auth: { kind: "missing" }, data: emptyDashboard(), live: IDLE, problems: IDLE });
  }

  selectProject(project: string | undefined): void {
    if (project === this.#state.project) return;
    this.#stopClients();
    this.#set({ project, data: emptyDashboard() });
    this.#connect();
  }

  /** Reads the page of activity before the oldest shown. */
  async loadOlder(): Promise<void> {
    const token = this.#token;
    const before = oldestSeq(this.#state.data.activity);
    if (token === undefined || before === undefined || this.#state.loadingOlder) return;
    this.#set({ loadingOlder: true });
    const page = await olderEvents(token, { before, limit: HISTORY_PAGE, project: this.#state.project });
    if (page.ok) this.#set({ data: applyOlder(this.#state.data, page.value.events, page.value.hasMore), loadingOlder: false });
    else this.#set({ loadingOlder: false, data: { ...this.#state.data, notice: `older events could not be read: ${page.message}` } });
  }

  retryNow(): void {
    this.#live?.retryNow();
  }

  #connect(): void {
    const token = this.#token;
    if (token === undefined) return;
    const origin = location.origin.replace(/^http/, "ws");
    const project = this.#state.project;
    this.#live = new LiveClient({
      url: `${origin}/api/v1/ws`,
      token,
      project,
      lastSeq: () => this.#state.data.cursor.lastSeq,
      onEvents: (events: readonly LiveEvent[]) => this.#set({ data: applyEvents(this.#state.data, events) }),
      onState: (live) => this.#onConnection("live", live),
      onRestart: () => this.#set({ data: { ...emptyDashboard(), problems: this.#state.data.problems } }),
      onNotice: (notice) => this.#set({ data: { ...this.#state.data, notice } }),
    });
    this.#problems = new ProblemsClient({
      origin,
      token,
      project,
      onFrame: (frame: ProblemsFrame) => this.#set({ data: { ...this.#state.data, problems: applyProblemsFrame(this.#state.data.problems, frame) } }),
      onState: (problems) => this.#onConnection("problems", problems),
    });
    this.#live.start();
    this.#problems.start();
  }

  #onConnection(which: "live" | "problems", state: ConnectionState): void {
    if (state.status === "unauthorized" || state.status === "forbidden") {
      this.#stopClients();
      this.#set({ [which]: state, auth: { kind: "refused", problem: state.status === "unauthorized" ? "refused" : "forbidden", message: state.reason } });
      return;
    }
    this.#set({ [which]: state });
  }

  #stopClients(): void {
    this.#live?.stop();
    this.#problems?.stop();
    this.#live = undefined;
    this.#problems = undefined;
  }
}
