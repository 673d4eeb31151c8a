/**
 * One hub as a node of a cluster: several hubs on one PostgreSQL store and one Redis
 * bus, behaving as one hub. It wires the pieces together:
 *  - this node's commits go to the bus and into the ordered feed (the same path as
 *    other nodes' commits), so every node delivers the same stream in seq order;
 *  - bus messages go into the ordered feed, which fills any gap from the store;
 *  - a bus (re)connect catches up from the store and reloads tokens; a timer
 *    compares the store's head with what was delivered;
 *  - token changes are announced to, and applied from, the other nodes.
 * It also holds the node's view of the store and the bus for `/healthz`.
 */
import { randomUUID } from "node:crypto";
import type { TokenRegistry } from "../auth/token-registry.js";
import { PublishedEvent } from "../broker/published-event.js";
import type { Logger } from "../logger.js";
import type { ClusterConfig } from "../options.js";
import type { HubStore } from "../store/hub-store.js";
import { encodeCommit, encodeControl } from "./bus-messages.js";
import { OrderedFeed } from "./ordered-feed.js";
import { RedisBus } from "./redis-bus.js";

export interface ClusterNodeDeps {
  readonly config: ClusterConfig;
  readonly store: HubStore;
  readonly tokens: TokenRegistry;
  readonly logger: Logger;
  /** Hands ordered events to the hub (broker, problems, machines, clock). */
  readonly deliver: (events: readonly PublishedEvent[]) => void;
}

export interface StoreView {
  readonly ok: boolean;
  readonly headSeq: number;
  /** When the store last answered (or failed), ms since the epoch. */
  readonly checkedAt: number;
  readonly error?: string;
}

export interface ClusterHealth {
  readonly store: StoreView;
  readonly bus: {
    readonly connected: boolean;
    readonly prefix: string;
    readonly deliveredSeq: number;
    /** Seqs committed (at the last check) and not yet delivered by this node. */
    readonly lag: number;
    readonly pendingEvents: number;
    readonly error?: string;
  };
}

/** How long `/healthz` waits for the store before calling it down. */
const HEALTH_TIMEOUT_MS = 2_000;

export class ClusterNode {
  /** This process on the bus (node ids are for people and may repeat). */
  readonly origin = randomUUID();
  readonly bus: RedisBus;
  readonly feed: OrderedFeed;
  readonly #deps: ClusterNodeDeps;
  #timer: NodeJS.Timeout | undefined;
  #store: StoreView = { ok: true, headSeq: 0, checkedAt: 0 };

  constructor(deps: ClusterNodeDeps, startSeq: number) {
    this.#deps = deps;
    const { config, logger } = deps;
    this.#store = { ok: true, headSeq: startSeq, checkedAt: Date.now() };
    this.feed = new OrderedFeed({
      start: startSeq,
      read: async (afterSeq, limit) => (await deps.store.readAfter({ afterSeq, limit })).map((row) => new PublishedEvent(row)),
      storeHead: () => this.storeHead(),
      deliver: deps.deliver,
      gapWaitMs: config.gapWaitMs,
      maxPendingEvents: config.reorderMaxEvents,
      logger,
    });
    this.bus = new RedisBus({
      url: config.redisUrl,
      prefix: config.prefix,
      origin: this.origin,
      logger,
      handlers: {
        onCommit: (message) => this.feed.offer(message),
        onControl: (message) => {
          deps.tokens.applyRemote(message).catch((error: unknown) => logger.warn("applying a token change from another hub failed", { error }));
        },
        onUp: () => {
          this.feed.catchUp().catch((error: unknown) => logger.warn("catching up from the store failed; the lag check retries", { error }));
          deps.tokens.reload().catch((error: unknown) => logger.warn("reloading tokens failed", { error }));
        },
        onDown: () => logger.warn("redis bus disconnected; filling from the store until it is back"),
      },
    });
    deps.tokens.announce = (change) => this.bus.publishControl(encodeControl({ ...change, origin: this.origin }));
  }

  /** Connects the bus (waiting at most `connectTimeoutMs`; a node without Redis still runs, on the store) and starts the lag check. */
  async start(): Promise<void> {
    const { config, logger } = this.#deps;
    if (!(await this.bus.start(config.connectTimeoutMs))) {
      logger.warn("redis bus unreachable at start; delivering from the store until it connects", { error: this.bus.lastError });
    }
    this.#timer = setInterval(() => {
      this.feed.checkLag().catch(() => undefined);
    }, config.catchUpIntervalMs);
    this.#timer.unref();
  }

  /** This node's commit, in seq order: announced on the bus, then delivered through the ordered feed. */
  committed(events: readonly PublishedEvent[]): void {
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return;
    this.bus.publishCommit(encodeCommit(this.origin, events, this.#deps.config.maxMessageBytes));
    this.feed.offer({ first: first.seq, last: last.seq, events });
  }

  /** The store's newest seq, remembering whether the store answered. */
  async storeHead(): Promise<number> {
    try {
      const headSeq = await this.#deps.store.headSeq();
      this.#store = { ok: true, headSeq, checkedAt: Date.now() };
      return headSeq;
    } catch (error) {
      this.#store = { ...this.#store, ok: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
      throw error;
    }
  }

  /** Asks the store now (bounded by a timeout) and reports both views. */
  async health(): Promise<ClusterHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.storeHead(), timeout]);
    } catch (error) {
      this.#store = { ...this.#store, ok: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    const delivered = this.feed.delivered;
    const error = this.bus.lastError;
    return {
      store: this.#store,
      bus: {
        connected: this.bus.connected,
        prefix: this.#deps.config.prefix,
        deliveredSeq: delivered,
        lag: Math.max(0, this.#store.headSeq - delivered),
        pendingEvents: this.feed.pendingEvents,
        ...(error === undefined ? {} : { error }),
      },
    };
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#deps.tokens.announce = undefined;
    this.feed.close();
    await this.bus.close();
  }
}
