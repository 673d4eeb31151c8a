/**
 * The live event stream, through @events/client: one client for the page's token,
 * one subscription to every channel of the chosen project, live from the moment the
 * hub accepts it (the page reads history up to that position, `onSubscribed`), or
 * from a position. From then on the subscription keeps its own position (the last
 * `seq` in each stream: one per project) across reconnects, gaps and a hub's
 * restart, and delivers each event once, in order within its stream; the client retries with
 * capped full-jitter backoff, over WebSocket or, where that does not get through,
 * Server-Sent Events. This module only batches deliveries for rendering and says
 * what happens in the page's terms. Frames the client could not read are counted in
 * a notice, never thrown.
 */
import { createClient, type Delivery, type EventsClient, type Subscription, type SubscriptionEvents } from "@events/client";
import type { LiveEvent } from "../state/live-event.js";
import { RETRY_BACKOFF, type ConnectionState } from "./connection-state.js";
import { fromAttempt, fromClientState, fromRefusal, fromSubscribed, STOPPED } from "./live-state.js";

/** At most one batch per this many milliseconds: a long replay renders ~20 times a second, not once per frame. */
const FLUSH_MS = 50;

export interface LiveClientOptions {
  /** The hub's base URL: the page's own origin. */
  readonly url: string;
  readonly token: string;
  /** A project uuid; the token's own (or, for the admin, every project) when undefined. */
  readonly project: string | undefined;
  /** Start after this position token; live only (from the hub's `subscribed`) when undefined. */
  readonly since?: string | undefined;
  readonly onEvents: (events: readonly LiveEvent[]) => void;
  /** Each `subscribed`: the position delivery continues after (for live only, every stream's newest seq then). */
  readonly onSubscribed?: (position: string) => void;
  readonly onState: (state: ConnectionState) => void;
  /** The hub's store is not the one followed so far (`position_ahead`): the owner clears and starts over. */
  readonly onRestart: () => void;
  readonly onNotice: (message: string) => void;
}

export class LiveClient {
  readonly #options: LiveClientOptions;
  readonly #client: EventsClient;
  readonly #subscription: Subscription;
  readonly #listeners: (() => void)[];
  #stopped = false;
  #pending: LiveEvent[] = [];
  #flush: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = 0;

  constructor(options: LiveClientOptions) {
    this.#options = options;
    this.#client = createClient({ url: options.url, token: options.token, transport: "auto", backoff: RETRY_BACKOFF, name: "dashboard" });
    this.#subscription = this.#client.subscribe(undefined, { ...(options.since === undefined ? {} : { since: options.since }), ...(options.project === undefined ? {} : { project: options.project }) });
    const client = this.#client;
    const subscription = this.#subscription;
    this.#listeners = [
      client.on("state", (change) => options.onState(fromClientState(change, Date.now()))),
      client.on("attempt", ({ attempt, transport }) => {
        const state = fromAttempt(attempt, transport);
        if (state !== undefined) options.onState(state);
      }),
      client.on("malformed", ({ count }) => {
        // Once, then every hundredth: a hub sending garbage should not flood the page.
        if (count === 1 || count % 100 === 0) options.onNotice(`ignored ${count} frame${count === 1 ? "" : "s"} from the hub that the page could not read`);
      }),
      client.on("error", (error) => options.onNotice(`the hub said ${error.code}: ${error.message}`)),
      subscription.on("event", (delivery) => this.#queue(delivery)),
      subscription.on("subscribed", ({ position }) => {
        options.onState(fromSubscribed());
        options.onSubscribed?.(position);
      }),
      subscription.on("reset", (reset) => this.#onReset(reset)),
      subscription.on("error", (error) => {
        // Refused for good (the project is forbidden, ...): the client would stay connected with nothing to read.
        this.#close();
        options.onState(fromRefusal(error));
      }),
    ];
  }

  start(): void {
    if (!this.#stopped) this.#client.connect();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#close();
    this.#options.onState(STOPPED);
  }

  /** Reconnects now (e.g. the browser came back online), skipping the backoff wait. */
  retryNow(): void {
    if (!this.#stopped) this.#client.reconnectNow();
  }

  #onReset(reset: SubscriptionEvents["reset"]): void {
    switch (reset.reason) {
      case "position_ahead":
        // A different store: what the page holds is not in it, and neither is its position.
        clearTimeout(this.#flush);
        this.#flush = undefined;
        this.#pending = [];
        this.#options.onRestart();
        return;
      case "position_unavailable":
        // Older events were pruned: delivery carries on after the reset's position, with a notice that history is incomplete.
        this.#options.onNotice(reset.message);
        return;
    }
  }

  /** Events are applied in batches, once per task, so a replay of thousands renders once, not thousands of times. */
  #queue(delivery: Delivery): void {
    this.#pending.push(delivery);
    this.#flush ??= setTimeout(() => this.#flushNow(), Math.max(0, this.#lastFlush + FLUSH_MS - Date.now()));
  }

  #flushNow(): void {
    this.#flush = undefined;
    this.#lastFlush = Date.now();
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#options.onEvents(batch);
  }

  /** Nothing of this client reaches the page any more: a batch not yet applied belongs to a start that is over. */
  #close(): void {
    this.#stopped = true;
    for (const off of this.#listeners) off();
    clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#pending = [];
    this.#client.disconnect();
  }
}
