/**
 * The bus between cluster nodes: Redis pub/sub over two connections (a subscriber
 * connection can run nothing else). It is a fast path, not the log: a message may
 * be lost (Redis restarts, a slow node is cut off by Redis' output buffer limit),
 * and the ordered feed fills whatever is missing from the store.
 *
 * Never blocks and never throws into the hub: publishing while disconnected fails
 * at once (no offline queue that would grow without bound) and is only counted.
 * Both connections reconnect by themselves with a capped backoff; when the
 * subscriber is subscribed again `onUp` runs, and the node catches up from the store.
 */
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { decodeCommit, decodeControl, type CommitMessage, type ControlMessage } from "./bus-messages.js";

export interface BusHandlers {
  readonly onCommit: (message: CommitMessage) => void;
  readonly onControl: (message: ControlMessage) => void;
  /** The subscriber is (again) subscribed: messages published from now on arrive. */
  readonly onUp: () => void;
  /** The subscriber lost its connection: messages may be missed until `onUp`. */
  readonly onDown: () => void;
}

export interface RedisBusOptions {
  readonly url: string;
  /** Channel names are `<prefix>:commits` and `<prefix>:control`. */
  readonly prefix: string;
  /** This process, so it can ignore its own messages. */
  readonly origin: string;
  readonly logger: Logger;
  readonly handlers: BusHandlers;
}

export interface BusCounters {
  published: number;
  publishFailures: number;
  received: number;
  malformed: number;
  reconnects: number;
}

/** Reconnect backoff: 50 ms doubling, capped at 2 s. */
const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

export class RedisBus {
  readonly counters: BusCounters = { published: 0, publishFailures: 0, received: 0, malformed: 0, reconnects: 0 };
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #commits: string;
  readonly #control: string;
  readonly #options: RedisBusOptions;
  #subscribed = false;
  #everUp = false;
  #closed = false;
  #lastError: string | undefined;

  constructor(options: RedisBusOptions) {
    this.#options = options;
    this.#commits = `${options.prefix}:commits`;
    this.#control = `${options.prefix}:control`;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
      retryStrategy,
      connectTimeout: 5_000,
    } as const;
    this.#publisher = new Redis(options.url, { ...common, connectionName: `events-hub-pub-${options.origin.slice(0, 8)}` });
    this.#subscriber = new Redis(options.url, { ...common, connectionName: `events-hub-sub-${options.origin.slice(0, 8)}` });
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on("error", (error: Error) => {
        if (this.#lastError !== error.message) options.logger.warn("redis bus error", { error: error.message });
        this.#lastError = error.message;
      });
    }
    this.#subscriber.on("ready", () => void this.#subscribe());
    this.#subscriber.on("close", () => {
      if (!this.#subscribed) return;
      this.#subscribed = false;
      if (!this.#closed) options.handlers.onDown();
    });
    this.#subscriber.on("message", (channel: string, text: string) => this.#message(channel, text));
  }

  /** Connects; resolves true once subscribed, false if that took longer than `timeoutMs` (it keeps trying). */
  async start(timeoutMs: number): Promise<boolean> {
    this.#publisher.connect().catch(() => undefined);
    this.#subscriber.connect().catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (!this.connected && Date.now() < deadline && !this.#closed) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.connected;
  }

  /** Both connections are up and the subscriber is subscribed. */
  get connected(): boolean {
    return this.#subscribed && this.#publisher.status === "ready";
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  publishCommit(text: string): void {
    this.#publish(this.#commits, text);
  }

  publishControl(text: string): void {
    this.#publish(this.#control, text);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subscribed = false;
    // QUIT lets the publisher's last messages out; disconnect() also stops reconnecting.
    await Promise.allSettled([this.#publisher.quit(), this.#subscriber.quit()]);
    this.#publisher.disconnect();
    this.#subscriber.disconnect();
  }

  #publish(channel: string, text: string): void {
    if (this.#publisher.status !== "ready") {
      this.counters.publishFailures++;
      return;
    }
    this.counters.published++;
    this.#publisher.publish(channel, text).catch(() => {
      this.counters.publishFailures++;
    });
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#commits, this.#control);
    } catch (error) {
      this.#options.logger.warn("redis bus: subscribe failed; reconnecting", { error });
      this.#subscriber.disconnect(true);
      return;
    }
    if (this.#closed) return;
    this.#subscribed = true;
    if (this.#everUp) this.counters.reconnects++;
    this.#everUp = true;
    this.#lastError = undefined;
    this.#options.logger.info("redis bus subscribed", { channels: [this.#commits, this.#control] });
    this.#options.handlers.onUp();
  }

  #message(channel: string, text: string): void {
    this.counters.received++;
    if (channel === this.#commits) {
      const message = decodeCommit(text);
      if (message === undefined) this.counters.malformed++;
      else if (message.origin !== this.#options.origin) this.#options.handlers.onCommit(message);
    } else if (channel === this.#control) {
      const message = decodeControl(text);
      if (message === undefined) this.counters.malformed++;
      else if (message.origin !== this.#options.origin) this.#options.handlers.onControl(message);
    }
  }
}
