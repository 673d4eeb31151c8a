/**
 * The page's one source of truth: the dashboard state, the connections' states and
 * the token, behind `subscribe`/`get` so views re-render on change and nothing
 * else writes. It owns the live and problems clients and restarts them when the
 * token or the project changes.
 *
 * A start subscribes live (from the moment the hub accepts it), then reads the
 * newest page of events from history up to the position the hub answered with (the
 * activity log), and the board's and the sessions' history behind it in the
 * background: the first paint costs one page, whatever the size of the store, and
 * nothing between the page and the live stream is missed or shown twice, in any
 * stream (the page ends where the live stream begins: each stream's seq at the
 * `subscribed`).
 */
import { Backoff } from "@events/client";
import { formatPosition, parsePosition, type ProblemsFrame } from "@events/schema";
import { isAdmin, olderEvents, streamTicket, type AuthProblem } from "./net/api.js";
import { backfill, type BackfillResult } from "./net/backfill.js";
import { RETRY_BACKOFF, type ConnectionState } from "./net/connection-state.js";
import { LiveClient } from "./net/live-client.js";
import { ProblemsClient } from "./net/problems-client.js";
import { forgetToken, loadToken, saveToken } from "./net/token-store.js";
import { olderPosition } from "./state/activity.js";
import {
  applyBackfill,
  applyEvents,
  applyNewest,
  applyOlder,
  applyProblemsFrame,
  emptyDashboard,
  type BackfillState,
  type DashboardState,
} from "./state/dashboard-state.js";
import type { LiveEvent } from "./state/live-event.js";
import { latestDelta } from "./state/problems.js";

/** Events read for the activity log at start, and per "Load older events". */
const NEWEST_PAGE = 200;
const HISTORY_PAGE = 200;
/** How far back the board reads (it needs every status change to be right; past this it says so). */
const BOARD_HISTORY = 100_000;
/** How far back the sessions read: enough for the recent ones; older ones are history. */
const SESSION_HISTORY = 5_000;

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
  /** Bumped whenever the clients stop: async work of an older start drops its result. */
  #generation = 0;
  /** Retries of the first history read, when the hub cannot answer it. */
  readonly #startBackoff = new Backoff(RETRY_BACKOFF);
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Where the live stream of this start began, until the newest page of history up to it is read. */
  #historyUpTo: string | undefined;

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

  #setData(patch: Partial<DashboardState>): void {
    this.#set({ data: { ...this.#state.data, ...patch } });
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
      // The hub is down: keep the token and let the start retry with backoff.
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
    const before = olderPosition(this.#state.data.activity);
    if (token === undefined || before === undefined || this.#state.loadingOlder) return;
    const generation = this.#generation;
    this.#set({ loadingOlder: true });
    const page = await olderEvents(token, { before, limit: HISTORY_PAGE, project: this.#state.project });
    if (generation !== this.#generation) return this.#set({ loadingOlder: false });
    if (page.ok) this.#set({ data: { ...applyOlder(this.#state.data, page.value.events, page.value.hasMore), notice: undefined }, loadingOlder: false });
    else this.#set({ loadingOlder: false, data: { ...this.#state.data, notice: `Older events could not be read: ${page.message}` } });
  }

  dismissNotice(): void {
    this.#setData({ notice: undefined });
  }

  retryNow(): void {
    if (this.#retry !== undefined) {
      clearTimeout(this.#retry);
      this.#retry = undefined;
      void this.#readNewest(this.#generation);
    }
    this.#live?.retryNow();
  }

  #connect(): void {
    const token = this.#token;
    if (token === undefined) return;
    const generation = ++this.#generation;
    const origin = location.origin.replace(/^http/, "ws");
    this.#problems = new ProblemsClient({
      origin,
      token,
      project: this.#state.project,
      onFrame: (frame: ProblemsFrame) => this.#onProblemsFrame(generation, frame),
      onState: (problems) => this.#onConnection("problems", problems),
    });
    this.#problems.start();
    this.#startLive(generation);
  }

  /** The live stream, from the moment the hub accepts it; its first `subscribed` says where history ends. */
  #startLive(generation: number): void {
    const token = this.#token;
    if (token === undefined || generation !== this.#generation) return;
    this.#historyUpTo = undefined;
    this.#setData({ ...emptyDashboard(), problems: this.#state.data.problems });
    this.#live = new LiveClient({
      url: location.origin,
      token,
      project: this.#state.project,
      onEvents: (events: readonly LiveEvent[]) => this.#set({ data: applyEvents(this.#state.data, events) }),
      onSubscribed: (position) => {
        // Once per start: a resubscribe after a reconnect continues the same stream.
        if (generation !== this.#generation || this.#state.data.backfill !== "idle") return;
        this.#historyUpTo = position;
        void this.#readNewest(generation);
      },
      onState: (live) => this.#onConnection("live", live),
      onRestart: () => {
        // A different store (`position_ahead`): what the page holds is not in it. Start over.
        this.#live?.stop();
        this.#live = undefined;
        this.#startLive(++this.#generation);
      },
      onNotice: (notice) => this.#setData({ notice }),
    });
    this.#live.start();
  }

  /** The newest page of history up to where the live stream began, then the board's and sessions' history behind it. */
  async #readNewest(generation: number): Promise<void> {
    const token = this.#token;
    const upTo = this.#historyUpTo;
    if (token === undefined || upTo === undefined || generation !== this.#generation) return;
    const project = this.#state.project;
    this.#setData({ backfill: "loading" });
    const page = await olderEvents(token, { before: through(upTo), limit: NEWEST_PAGE, project });
    if (generation !== this.#generation) return;
    if (!page.ok) {
      if (page.auth !== undefined) return this.#onConnection("live", { status: page.auth === "forbidden" ? "forbidden" : "unauthorized", reason: page.message });
      const delay = this.#startBackoff.next();
      this.#setData({ notice: `The newest events could not be read (${page.message}); trying again in ${Math.ceil(delay / 1_000)} s.` });
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        void this.#readNewest(generation);
      }, delay);
      return;
    }
    this.#startBackoff.reset();
    this.#historyUpTo = undefined;
    const data = applyNewest(this.#state.data, page.value.events, page.value.hasMore);
    this.#setData({ ...data, notice: undefined, backfill: page.value.hasMore ? "loading" : "done" });
    if (page.value.hasMore) void this.#backfill(generation, { token, project, before: page.value.next });
  }

  async #backfill(generation: number, from: { token: string; project: string | undefined; before: string }): Promise<void> {
    const read = (channel: string, maxEvents: number): Promise<BackfillResult> =>
      backfill({
        ...from,
        channel,
        maxEvents,
        onPage: (events) => this.#set({ data: applyBackfill(this.#state.data, events) }),
        isCurrent: () => generation === this.#generation,
      });
    const results = await Promise.all([read("events", BOARD_HISTORY), read("session:*", SESSION_HISTORY)]);
    if (generation !== this.#generation) return;
    const failed = results.find((result) => result.kind === "failed");
    const state: BackfillState = results.some((result) => result.kind !== "done") ? "partial" : "done";
    this.#setData({
      backfill: state,
      ...(failed?.kind === "failed" ? { notice: `The board and sessions may be incomplete: their history could not be read (${failed.message}). Reload to try again.` } : {}),
    });
  }

  /** The first snapshot after a start: find the change that led to it in history, so it is highlighted too. */
  #onProblemsFrame(generation: number, frame: ProblemsFrame): void {
    const first = frame.kind === "snapshot" && !this.#state.data.problems.loaded;
    this.#setData({ problems: applyProblemsFrame(this.#state.data.problems, frame) });
    const token = this.#token;
    if (!first || token === undefined || frame.findings.length === 0) return;
    const shown = this.#state.data.problems;
    void olderEvents(token, { limit: 20, project: this.#state.project, channel: "problems" }).then((page) => {
      if (!page.ok || generation !== this.#generation || this.#state.data.problems !== shown) return;
      const highlighted = latestDelta(shown, page.value.events);
      if (highlighted !== undefined) this.#setData({ problems: highlighted });
    });
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
    this.#generation++;
    this.#historyUpTo = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#live?.stop();
    this.#problems?.stop();
    this.#live = undefined;
    this.#problems = undefined;
  }
}

/** A `before` position that takes in each stream's seq itself: the events up to and including a `subscribed` position. */
function through(position: string): string {
  const after = new Map<string, number>();
  for (const [stream, seq] of parsePosition(position) ?? []) after.set(stream, seq + 1);
  return formatPosition(after);
}
