/**
 * One hub as a node of a cluster: several hubs on one PostgreSQL store and one Redis
 * bus, behaving as one hub. It wires the pieces together:
 *  - this node's commits go to the bus and into the ordered feed (the same path as
 *    other nodes' commits), so every node delivers each stream in seq order;
 *  - bus messages go into the ordered feed, which fills any gap from the store;
 *  - a bus (re)connect catches every stream up from the store and reloads tokens; a
 *    timer compares the store's stream heads with what was delivered;
 *  - token changes are announced to, and applied from, the other nodes.
 * It also holds the node's view of the store and the bus for `/healthz`.
 */
import { randomUUID } from "node:crypto";
import type { Position } from "@events/schema";
import type { TokenRegistry } from "../auth/token-registry.js";
import { PublishedEvent } from "../broker/published-event.js";
import type { Logger } from "../logger.js";
import type { ClusterConfig } from "../options.js";
import type { HubStore } from "../store/hub-store.js";
import { encodeCommit, encodeControl, runsOf } from "./bus-messages.js";
import { OrderedFeed } from "./ordered-feed.js";
import { RedisBus } from "./redis-bus.js";

export interface ClusterNodeDeps {
  readonly config: ClusterConfig;
  readonly store: HubStore;
  readonly tokens: TokenRegistry;
  readonly logger: Logger;
  /** Hands ordered events of one stream to the hub (broker, problems, machines, clock). */
  readonly deliver: (events: readonly PublishedEvent[]) => void;
}

export interface StoreView {
  readonly ok: boolean;
  /** Each stream's newest committed seq, at the last answer. */
  readonly heads: Position;
  /** When the store last answered (or failed), ms since the epoch. */
  readonly checkedAt: number;
  readonly error?: string;
}

export interface ClusterHealth {
  readonly store: StoreView;
  readonly bus: {
    readonly connected: boolean;
    readonly prefix: string;
    /** Each stream's newest seq this node delivered. */
    readonly delivered: Position;
    /** Seqs committed (at the last check) and not yet delivered by this node, summed over streams. */
    readonly lag: number;
    /** Streams this node has delivered or seen in the store. */
    readonly streams: number;
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
  #store: StoreView;

  /** `start`: each stream's newest seq already delivered (the store's heads when the hub loaded). */
  constructor(deps: ClusterNodeDeps, start: Position) {
    this.#deps = deps;
    const { config, logger, store } = deps;
    this.#store = { ok: true, heads: new Map(start), checkedAt: Date.now() };
    this.feed = new OrderedFeed({
      start,
      read: async (stream, afterSeq, limit) => {
        // A project's filter reads its stream alone; `streamOf` of a stream id is that stream, `-` included.
        const rows = await store.readAfter({ after: new Map([[stream, afterSeq]]), limit, project: stream });
        return rows.filter((row) => row.stream === stream).map((row) => new PublishedEvent(row));
      },
      storeHeads: () => this.storeHeads(),
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
        onCommit: (message) => {
          for (const batch of message.batches) this.feed.offer(batch);
        },
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

  /** This node's commit (one transaction, any streams): announced on the bus, then delivered through the ordered feed per stream. */
  committed(events: readonly PublishedEvent[]): void {
    if (events.length === 0) return;
    const runs = runsOf(events);
    this.bus.publishCommit(encodeCommit(this.origin, runs, this.#deps.config.maxMessageBytes));
    for (const { run, events: inRun } of runs) this.feed.offer({ stream: run[0], first: run[1], last: run[2], events: inRun });
  }

  /** The store's newest seq per stream, remembering whether the store answered. */
  async storeHeads(): Promise<Map<string, number>> {
    try {
      const heads = await this.#deps.store.streamHeads();
      this.#store = { ok: true, heads, checkedAt: Date.now() };
      return heads;
    } catch (error) {
      this.#store = { ...this.#store, ok: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
      throw error;
    }
  }

  /** Seqs the store held at its last answer and this node has not delivered, summed over streams. */
  get lag(): number {
    const delivered = this.feed.delivered;
    let lag = 0;
    for (const [stream, head] of this.#store.heads) lag += Math.max(0, head - (delivered.get(stream) ?? 0));
    return lag;
  }

  /** Streams this node has delivered or seen in the store. */
  get streams(): number {
    const delivered = this.feed.delivered;
    let count = delivered.size;
    for (const stream of this.#store.heads.keys()) if (!delivered.has(stream)) count++;
    return count;
  }

  /** Asks the store now (bounded by a timeout) and reports both views. */
  async health(): Promise<ClusterHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.storeHeads(), timeout]);
    } catch (error) {
      this.#store = { ...this.#store, ok: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    const error = this.bus.lastError;
    return {
      store: this.#store,
      bus: {
        connected: this.bus.connected,
        prefix: this.#deps.config.prefix,
        delivered: this.feed.delivered,
        lag: this.lag,
        streams: this.streams,
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
