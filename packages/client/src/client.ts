/**
 * The client: one connection to a hub (WebSocket, or Server-Sent Events where
 * WebSockets do not get through), its named states, reconnects with full-jitter
 * backoff, subscriptions that resume from their own position, and publishes
 * answered per event.
 *
 * States and why each change happened:
 *
 *     disconnected --connect()--> connecting --welcome--> connected
 *          ^                        ^   |                    |
 *          |                        |   +-- a failed attempt: wait (backoff), try again
 *          |                        +------- the connection dropped (code, reason) --+
 *          +-- disconnect(), or the hub refused the token (4401) or its scope (4403),
 *              or speaks another protocol: these do not retry.
 */
import { CLOSE_CODES, DEFAULT_LIMITS, type Envelope, type EventResult, type HubFrame, type Limits } from "@events/schema";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { ClientError, type ClientErrorCode } from "./errors.js";
import { Subscription, type SubscribeOptions, type SubscriptionHost, type SubscriptionStateChange } from "./subscription.js";
import type { OpenInfo, Transport, TransportConfig, TransportFactory, TransportKind } from "./transport/transport.js";
import { unrefTimer } from "./transport/websocket.js";

export type ClientState = "disconnected" | "connecting" | "connected";

/** Why the state changed; documented in the README's state table. */
export type StateReason =
  /** `connect()` was called. */
  | "connect"
  /** The hub said `welcome` (or, over SSE, answered). */
  | "connected"
  /** `disconnect()` was called. */
  | "disconnect"
  /** The connection dropped or could not be opened; the client retries after a backoff delay. */
  | "transport_closed"
  /** The hub is shutting down (1001); the client retries. */
  | "hub_going_away"
  /** The hub dropped this client for falling behind (4429); the client resumes from its positions. */
  | "slow_consumer"
  /** Nothing from the hub for twice its heartbeat (4408); the client reconnects. */
  | "no_heartbeat"
  /** The hub refused the token (4401). Terminal: a new token is needed. */
  | "unauthorized"
  /** The token may not do this (4403). Terminal. */
  | "forbidden"
  /** The hub does not speak this protocol (1002). Terminal. */
  | "bad_protocol";

export interface StateChange {
  readonly state: ClientState;
  readonly previous: ClientState;
  readonly reason: StateReason;
  /** The close code that caused the change, when one did. */
  readonly code?: number;
  /** The hub's or the network's words. */
  readonly message: string;
  /** While `connecting` after a failure: milliseconds until the next attempt. */
  readonly delayMs?: number;
}

export interface ClientEvents {
  /** Every change of state, with its reason. */
  state: StateChange;
  /** Each attempt to open a connection (the first, and every retry). */
  attempt: { readonly attempt: number; readonly transport: TransportKind };
  /** A connection opened. */
  connected: { readonly transport: TransportKind } & OpenInfo;
  /** A frame from the hub that the client could not read (dropped and counted; never thrown). */
  malformed: { readonly count: number };
  /** The hub reported an error about the connection, not about one publish or subscription (e.g. `bad_frame` for something sent). */
  error: ClientError;
}

export interface PublishResult {
  /** One per event, in order: `accepted` or `duplicate` (stored, with its `stream` and its `seq` there) or `rejected` (with the issues). */
  readonly results: EventResult[];
  /** The hub's Lamport value after the publish; producers `observe()` it. */
  readonly lamportClock: number;
}

export interface PublishOptions {
  /** Milliseconds to wait for the connection and the ack. @default the client's publishTimeoutMs */
  readonly timeoutMs?: number;
}

export interface ClientOptions {
  /** The hub's base URL: `http://127.0.0.1:8787` (`ws:` and `wss:` are taken too). */
  readonly url: string;
  /** A project token, the admin token, or a stream ticket (read-only). */
  readonly token?: string;
  /** `websocket`, `sse`, or `auto`: WebSocket, falling back to SSE when it cannot be opened. @default "auto" */
  readonly transport?: "websocket" | "sse" | "auto";
  /** Failed WebSocket attempts in a row before `auto` tries SSE. @default 2 */
  readonly fallbackAfter?: number;
  /** Reconnect delays. @default 500 ms doubling to 20 s, full jitter */
  readonly backoff?: BackoffOptions;
  /** Milliseconds to open a connection. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Milliseconds a publish may wait for the connection and its ack. @default 30_000 */
  readonly publishTimeoutMs?: number;
  /** Names this client in the hub's logs. @default "events-client" */
  readonly name?: string;
  /** Node only: the client's sockets and timers do not keep the process alive. @default false */
  readonly unref?: boolean;
  /** The WebSocket transport; set by the entry point (the global `WebSocket`, or `ws` in Node). */
  readonly webSocket?: TransportFactory | undefined;
  /** The SSE transport; set by the entry point (over the global `fetch`). */
  readonly sse?: TransportFactory | undefined;
}

interface PendingPublish {
  readonly ref: string;
  readonly events: readonly string[];
  readonly resolve: (result: PublishResult) => void;
  readonly reject: (error: ClientError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  sent: boolean;
}

const TERMINAL: ReadonlyMap<number, StateReason> = new Map([
  [CLOSE_CODES.unauthenticated, "unauthorized"],
  [CLOSE_CODES.forbidden, "forbidden"],
  [CLOSE_CODES.protocolError, "bad_protocol"],
]);

function reasonOf(code: number): StateReason {
  if (code === CLOSE_CODES.goingAway) return "hub_going_away";
  if (code === CLOSE_CODES.slowConsumer) return "slow_consumer";
  if (code === CLOSE_CODES.pingTimeout) return "no_heartbeat";
  return TERMINAL.get(code) ?? "transport_closed";
}

export class EventsClient implements SubscriptionHost {
  readonly #options: ClientOptions;
  readonly #events = new Emitter<ClientEvents>();
  readonly #backoff: Backoff;
  readonly #subscriptions = new Set<Subscription>();
  readonly #byWireId = new Map<string, Subscription>();
  readonly #publishes = new Map<string, PendingPublish>();
  #state: ClientState = "disconnected";
  #transport: Transport | undefined;
  #opened: OpenInfo | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #wsFailures = 0;
  #nextWire = 0;
  #nextRef = 0;
  #malformed = 0;
  #lastDisconnect: StateChange | undefined;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    new URL(options.url); // throws a TypeError now for a URL that can never work
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The hub's limits (its defaults until connected). */
  get limits(): Limits {
    return this.#opened?.limits ?? DEFAULT_LIMITS;
  }

  /** The transport of the open connection. */
  get transport(): TransportKind | undefined {
    return this.#opened === undefined ? undefined : this.#transport?.kind;
  }

  /** What the hub said when the connection opened (limits, Lamport value, node). */
  get connection(): OpenInfo | undefined {
    return this.#opened;
  }

  on<Name extends keyof ClientEvents>(name: Name, listener: (payload: ClientEvents[Name]) => void): () => void {
    return this.#events.on(name, listener);
  }

  connect(): void {
    if (this.#state !== "disconnected") return;
    this.#backoff.reset();
    this.#setState({ state: "connecting", reason: "connect", message: "connecting" });
    this.#open();
  }

  /** Closes the connection; subscriptions stay and resume from their positions on the next `connect()`. */
  disconnect(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const transport = this.#transport;
    this.#transport = undefined;
    this.#opened = undefined;
    transport?.close(CLOSE_CODES.normal, "disconnect");
    this.#dropConnection(new ClientError("disconnected", "the client disconnected"), true);
    this.#setState({ state: "disconnected", reason: "disconnect", message: "disconnected by the client" });
  }

  /** While waiting to retry (the network came back, the page became visible): tries now instead of after the backoff delay. */
  reconnectNow(): void {
    if (this.#state !== "connecting" || this.#retry === undefined) return;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#open();
  }

  /** Resolves once connected; rejects when the client stops for good (or after `timeoutMs`). */
  ready(timeoutMs = this.#options.connectTimeoutMs ?? 10_000): Promise<void> {
    if (this.#state === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = unrefTimer(
        setTimeout(() => {
          off();
          reject(new ClientError("timeout", `not connected within ${timeoutMs} ms (${this.#lastDisconnect?.message ?? this.#state})`));
        }, timeoutMs),
        this.#options.unref === true,
      );
      const off = this.on("state", (change) => {
        if (change.state === "connected") {
          clearTimeout(timer);
          off();
          resolve();
        } else if (change.state === "disconnected") {
          clearTimeout(timer);
          off();
          reject(new ClientError(change.reason === "unauthorized" ? "unauthenticated" : change.reason === "forbidden" ? "forbidden" : "disconnected", change.message));
        }
      });
    });
  }

  /**
   * Subscribes to `channel` (`events`, `tasks`, `problems`, `session:<id>`,
   * `machine:<name>`, a `prefix:*`, or every channel when absent). Sent now if
   * connected, else when the connection opens.
   */
  subscribe(channel?: string, options: SubscribeOptions = {}): Subscription {
    const subscription = new Subscription(this, channel, options);
    this.#subscriptions.add(subscription);
    if (this.#opened !== undefined) this.resubscribe(subscription, "subscribe");
    return subscription;
  }

  /**
   * Publishes events (objects, or their JSON text) and resolves with the hub's result
   * for each once stored. Waits for the connection while connecting; a publish whose
   * connection drops before the ack rejects with `transport_closed` (retryable:
   * sending the same events again is safe, the hub stores each `event_id` once).
   * More events than `max_events_per_batch`, or bytes than one frame holds, go out in
   * several frames; the results come back in order as one.
   */
  async publish(events: readonly (Envelope | string)[], options: PublishOptions = {}): Promise<PublishResult> {
    if (events.length === 0) return { results: [], lamportClock: this.#opened?.lamportClock ?? 0 };
    const texts = events.map((event) => (typeof event === "string" ? event : JSON.stringify(event)));
    const parts = split(texts, this.limits, this.#transport?.kind ?? "websocket");
    const answers = await Promise.all(parts.map((part) => this.#publishPart(part, options.timeoutMs ?? this.#options.publishTimeoutMs ?? 30_000)));
    let offset = 0;
    const results: EventResult[] = [];
    for (const [index, answer] of answers.entries()) {
      for (const result of answer.results) results.push(result.status === "rejected" ? { ...result, index: result.index + offset } : result);
      offset += parts[index]?.length ?? 0;
    }
    return { results, lamportClock: Math.max(...answers.map((answer) => answer.lamportClock)) };
  }

  #publishPart(events: readonly string[], timeoutMs: number): Promise<PublishResult> {
    if (this.#state === "disconnected") return Promise.reject(new ClientError("disconnected", `the client is disconnected (${this.#lastDisconnect?.message ?? "call connect() first"})`));
    const ref = `p${++this.#nextRef}`;
    return new Promise((resolve, reject) => {
      const timer = unrefTimer(
        setTimeout(() => {
          this.#publishes.delete(ref);
          reject(new ClientError("timeout", `no ack from the hub within ${timeoutMs} ms`));
        }, timeoutMs),
        this.#options.unref === true,
      );
      const pending: PendingPublish = { ref, events, resolve, reject, timer, sent: false };
      this.#publishes.set(ref, pending);
      if (this.#opened !== undefined) this.#send(pending);
    });
  }

  #send(pending: PendingPublish): void {
    pending.sent = true;
    this.#transport?.publish(pending.ref, pending.events);
  }

  // ---- SubscriptionHost ----

  resubscribe(subscription: Subscription, reason: SubscriptionStateChange["reason"]): void {
    if (!subscription.active || subscription.paused) return;
    this.stopReading(subscription);
    if (this.#transport === undefined || this.#opened === undefined) return;
    const wireId = `s${++this.#nextWire}`;
    this.#byWireId.set(wireId, subscription);
    subscription.subscribing(wireId, reason);
    this.#transport.subscribe({ sub: wireId, channel: subscription.channel, project: subscription.project, since: subscription.position });
  }

  stopReading(subscription: Subscription): void {
    const wireId = subscription.wireId;
    if (wireId === undefined) return;
    subscription.wireId = undefined;
    this.#byWireId.delete(wireId);
    if (this.#opened !== undefined) this.#transport?.unsubscribe(wireId);
  }

  remove(subscription: Subscription): void {
    this.#subscriptions.delete(subscription);
  }

  // ---- the connection ----

  #open(): void {
    const kind = this.#chooseTransport();
    const factory = kind === "websocket" ? this.#options.webSocket : this.#options.sse;
    if (factory === undefined) throw new Error(`no ${kind} transport in this environment: pass one in the options`);
    this.#events.emit("attempt", { attempt: this.#backoff.attempts + 1, transport: kind });
    const config: TransportConfig = {
      url: this.#options.url,
      token: this.#options.token,
      clientName: this.#options.name ?? "events-client",
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      unref: this.#options.unref === true,
    };
    let transport: Transport | undefined = undefined;
    transport = factory(config, {
      opened: (info) => {
        if (this.#transport === transport) this.#onOpened(info);
      },
      frame: (frame) => {
        if (this.#transport === transport) this.#onFrame(frame);
      },
      malformed: () => {
        if (this.#transport === transport) this.#events.emit("malformed", { count: ++this.#malformed });
      },
      expired: (sub) => {
        const subscription = this.#byWireId.get(sub);
        if (this.#transport === transport && subscription !== undefined) this.resubscribe(subscription, "stream_expired");
      },
      closed: (code, reason) => {
        if (this.#transport === transport) this.#onClosed(kind, code, reason);
      },
    });
    this.#transport = transport;
  }

  #chooseTransport(): TransportKind {
    const wanted = this.#options.transport ?? "auto";
    if (wanted !== "auto") return wanted;
    if (this.#options.webSocket === undefined) return "sse";
    if (this.#options.sse === undefined) return "websocket";
    return this.#wsFailures >= (this.#options.fallbackAfter ?? 2) ? "sse" : "websocket";
  }

  #onOpened(info: OpenInfo): void {
    this.#opened = info;
    this.#backoff.reset();
    if (this.#transport?.kind === "websocket") this.#wsFailures = 0;
    this.#setState({ state: "connected", reason: "connected", message: `connected over ${this.#transport?.kind ?? "?"}` });
    this.#events.emit("connected", { transport: this.#transport?.kind ?? "websocket", ...info });
    for (const subscription of this.#subscriptions) this.resubscribe(subscription, "subscribe");
    for (const pending of this.#publishes.values()) if (!pending.sent) this.#send(pending);
  }

  #onFrame(frame: HubFrame): void {
    switch (frame.type) {
      case "message": {
        this.#byWireId.get(frame.sub)?.deliver(frame);
        return;
      }
      case "subscribed":
        this.#byWireId.get(frame.sub)?.onSubscribed(frame.position);
        return;
      case "gap":
        this.#byWireId.get(frame.sub)?.onGap(frame.stream, frame.from_seq, frame.to_seq);
        return;
      case "reset":
        this.#byWireId.get(frame.sub)?.onReset(frame);
        return;
      case "ack": {
        const pending = this.#settle(frame.ref);
        if (this.#opened !== undefined && frame.lamport_clock > (this.#opened.lamportClock ?? 0)) this.#opened = { ...this.#opened, lamportClock: frame.lamport_clock };
        pending?.resolve({ results: frame.results, lamportClock: frame.lamport_clock });
        return;
      }
      case "error":
        this.#onError(frame);
        return;
      case "welcome":
      case "ping":
      case "pong":
      case "unsubscribed":
        return;
      default:
        // Frames of later protocol versions: nothing to do.
        return;
    }
  }

  #onError(frame: Extract<HubFrame, { type: "error" }>): void {
    if (frame.ref !== undefined) {
      this.#settle(frame.ref)?.reject(new ClientError(frame.code, frame.message, { ...(frame.issues === undefined ? {} : { issues: frame.issues }) }));
      return;
    }
    if (frame.sub !== undefined) {
      const subscription = this.#byWireId.get(frame.sub);
      // `not_found` answers the unsubscribe of a replaced wire id: nothing is wrong.
      if (subscription === undefined || frame.code === "not_found") return;
      this.#byWireId.delete(frame.sub);
      subscription.wireId = undefined;
      subscription.refuse(new ClientError(frame.code, frame.message, { channel: frame.channel ?? subscription.channel }));
      return;
    }
    this.#events.emit("error", new ClientError(frame.code, frame.message, { ...(frame.issues === undefined ? {} : { issues: frame.issues }) }));
  }

  #settle(ref: string): PendingPublish | undefined {
    const pending = this.#publishes.get(ref);
    if (pending === undefined) return undefined;
    this.#publishes.delete(ref);
    clearTimeout(pending.timer);
    return pending;
  }

  #onClosed(kind: TransportKind, code: number, message: string): void {
    const wasOpen = this.#opened !== undefined;
    this.#transport = undefined;
    this.#opened = undefined;
    if (kind === "websocket" && !wasOpen) this.#wsFailures++;
    // After SSE (opened and lost, or not reachable either), the WebSocket goes first again:
    // a hub that was down is not a network that blocks WebSockets.
    if (kind === "sse") this.#wsFailures = 0;
    const reason = reasonOf(code);
    const terminal = TERMINAL.has(code);
    this.#dropConnection(new ClientError(terminal ? "disconnected" : "transport_closed", `the connection closed (${code}${message === "" ? "" : `: ${message}`})`), terminal);
    if (terminal) {
      this.#setState({ state: "disconnected", reason, code, message: message === "" ? `closed with ${code}` : message });
      return;
    }
    // A stream that ended its lifetime (1000) comes back at once; anything else waits.
    const delayMs = code === CLOSE_CODES.normal && wasOpen ? 0 : this.#backoff.next();
    // The timer first: a listener of the state change may call disconnect(), which must find it.
    this.#retry = unrefTimer(
      setTimeout(() => {
        this.#retry = undefined;
        if (this.#state === "connecting") this.#open();
      }, delayMs),
      this.#options.unref === true,
    );
    this.#setState({ state: "connecting", reason, code, message: message === "" ? `closed with ${code}` : message, delayMs }, true);
  }

  /** The connection is gone: sent publishes fail (retryable), subscriptions wait to resume. */
  #dropConnection(error: ClientError, everything: boolean): void {
    for (const pending of [...this.#publishes.values()]) {
      if (!pending.sent && !everything) continue;
      this.#settle(pending.ref)?.reject(error);
    }
    this.#byWireId.clear();
    for (const subscription of this.#subscriptions) {
      subscription.wireId = undefined;
      if (!subscription.paused) subscription.setState("subscribing", "connection_lost");
    }
  }

  #setState(change: Omit<StateChange, "previous">, always = false): void {
    if (change.state === this.#state && !always) return;
    const full: StateChange = { ...change, previous: this.#state };
    this.#state = change.state;
    if (change.state === "disconnected") this.#lastDisconnect = full;
    this.#events.emit("state", full);
  }
}

/** Splits JSON texts into frames within the hub's count and byte limits (an event larger than a frame goes alone; the hub rejects it by itself). */
function split(texts: readonly string[], limits: Limits, kind: TransportKind): string[][] {
  const maxCount = Math.max(1, limits.max_events_per_batch);
  // Room for the frame's own text around the events.
  const maxBytes = (kind === "websocket" ? limits.max_frame_bytes : limits.max_batch_bytes) - 64;
  const parts: string[][] = [];
  let part: string[] = [];
  let bytes = 0;
  for (const text of texts) {
    const size = utf8Length(text) + 1;
    if (part.length > 0 && (part.length >= maxCount || bytes + size > maxBytes)) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(text);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

export type { ClientErrorCode };
