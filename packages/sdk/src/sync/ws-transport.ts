/**
 * Sync's WebSocket: one @events/client connection, used to publish. The client speaks
 * the protocol (hello, welcome, acks, pings, close codes); this gives the sync client
 * one connection at a time and says what went wrong as a SyncError. The first failure
 * ends the connection: the sync client's own policy decides when to try again, or to
 * send HTTP batches instead. @events/client (and `ws`) load when a host first opens
 * the WebSocket, and its sockets and timers never hold the host process.
 */
import type { EventsClient, StateChange } from "@events/client";
import type { EventResult, Limits } from "@events/schema";
import type { Sendable } from "./batches.js";
import { closeError, fromClientError } from "./client-errors.js";
import { SyncError } from "./sync-error.js";

export interface WsTransportOptions {
  /** The hub's base URL (`http://host:port`). */
  serverUrl: string;
  token: string;
  /** Milliseconds to open the connection and get the welcome. @default 5_000 */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for the ack of one publish. @default 30_000 */
  ackTimeoutMs?: number;
  /** Told when the connection ends for any reason after the welcome, unless `close()` ended it. */
  onClose?: (error: SyncError) => void;
  /** Aborts a connection attempt (the host is exiting). */
  signal?: AbortSignal;
}

export interface PublishOutcome {
  results: EventResult[];
  lamportClock: number;
}

export class WsTransport {
  private closedWith: SyncError | undefined;

  private constructor(
    private readonly client: EventsClient,
    private readonly options: WsTransportOptions,
  ) {
    client.on("state", (change) => {
      if (change.state !== "connected") this.end(closeError(change), true);
    });
  }

  /** Opens the connection; rejects with the first failure (no retry here). */
  static async connect(options: WsTransportOptions): Promise<WsTransport> {
    // Loaded only when a host syncs: importing the SDK must not pay for it.
    const { createClient } = await import("@events/client");
    const client = createClient({
      url: options.serverUrl,
      token: options.token,
      transport: "websocket",
      name: "events-sdk",
      unref: true,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      publishTimeoutMs: options.ackTimeoutMs ?? 30_000,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: WsTransport | SyncError): void => {
        if (settled) return;
        settled = true;
        off();
        options.signal?.removeEventListener("abort", abort);
        if (outcome instanceof WsTransport) return resolve(outcome);
        // After the state change that failed, not inside it: the client is still handling it.
        queueMicrotask(() => client.disconnect());
        reject(outcome);
      };
      const abort = (): void => settle(new SyncError("network", "connection attempt aborted"));
      const off = client.on("state", (change: StateChange) => {
        if (change.state === "connected") settle(new WsTransport(client, options));
        // Any other change after `connect` is a failed attempt the client would retry.
        else if (change.reason !== "connect") settle(closeError(change));
      });
      options.signal?.addEventListener("abort", abort, { once: true });
      client.connect();
      if (options.signal?.aborted === true) abort();
    });
  }

  /** The hub's limits, from its welcome. */
  get limits(): Limits {
    return this.client.limits;
  }

  /** The hub's node and Lamport value, from its welcome. */
  get welcome(): { nodeId: string | undefined; lamportClock: number | undefined } {
    return { nodeId: this.client.connection?.nodeId, lamportClock: this.client.connection?.lamportClock };
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends one publish; resolves with the hub's result for each event. */
  async publish(events: readonly Sendable[]): Promise<PublishOutcome> {
    // Once closed, a further batch fails as the network does (a 413 would split it for nothing).
    if (this.closedWith !== undefined) throw this.closedWith.status === 413 ? new SyncError("network", this.closedWith.message) : this.closedWith;
    try {
      return await this.client.publish(events.map((event) => event.json));
    } catch (error) {
      // A publish cut short by the connection's end fails as the connection did (a revoked token is `auth`, not `network`).
      const failure = this.closedWith ?? fromClientError(error);
      // No ack in time: the connection is not to be trusted with the next batch either.
      if ((error as { code?: unknown }).code === "timeout") this.end(failure, true);
      throw failure;
    }
  }

  close(): void {
    this.end(new SyncError("network", "closed by the client"), false);
  }

  private end(error: SyncError, notify: boolean): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    queueMicrotask(() => this.client.disconnect());
    if (notify) this.options.onClose?.(error);
  }
}
