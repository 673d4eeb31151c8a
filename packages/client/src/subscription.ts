/**
 * One subscription: a channel (or all) of a project, from a position. The hub's log
 * is split into streams (one per project, `-` for events without one), each numbered
 * from 1; the subscription keeps the last `seq` it delivered in each stream (its
 * position, written as a token) and asks the hub for what follows after every
 * reconnect, a `gap` or a stream's end, so its listeners see each event once, in
 * order within its stream. Events arrive through `on("event")` and, for one consumer, through
 * `for await`, whose buffer is bounded: when it fills, the subscription stops
 * reading from the hub and resumes from its position once the consumer catches up.
 */
import { formatPosition, parsePosition, type Envelope, type MessageFrame, type ResetFrame } from "@events/schema";
import { Emitter } from "./emitter.js";
import { type ClientError } from "./errors.js";

export type SubscriptionState =
  /** Not (or no longer) asking the hub for events: before the client connects, after `unsubscribe()`, or refused. */
  | "unsubscribed"
  /** Asked; waiting for the hub's `subscribed` (after a reconnect, a gap or a refill of the buffer too). */
  | "subscribing"
  /** Replaying what was missed, then live. */
  | "subscribed";

/** An event as delivered: its stream (its project uuid, or `-`), its `seq` in that stream, its channel and the envelope. */
export interface Delivery<E extends Envelope = Envelope> {
  readonly stream: string;
  readonly seq: number;
  readonly channel: string;
  readonly event: E;
}

export interface SubscriptionStateChange {
  readonly state: SubscriptionState;
  readonly previous: SubscriptionState;
  readonly reason: "subscribe" | "subscribed" | "connection_lost" | "gap" | "stream_expired" | "buffer_full" | "buffer_drained" | "unsubscribe" | "refused";
}

export interface SubscriptionEvents {
  event: Delivery;
  state: SubscriptionStateChange;
  /**
   * The hub accepted the subscription: delivery continues after `position` (a token),
   * which becomes the subscription's position. For a live-only subscription that is
   * every stream's newest seq at that moment.
   */
  subscribed: { readonly position: string };
  /**
   * The hub cannot serve the position in `streams`: delivery continues after
   * `position` (the whole position, a token), which becomes the subscription's.
   * `position_unavailable`: those events were pruned (or a protocol-1 seq could not
   * be translated); `position_ahead`: the hub's store is not the one followed so far.
   */
  reset: { readonly reason: ResetFrame["reason"]; readonly streams: readonly string[]; readonly position: string; readonly message: string };
  /** The hub dropped events of `stream` for this slow subscriber; they are being read again (nothing to do). */
  gap: { readonly stream: string; readonly fromSeq: number; readonly toSeq: number };
  /** The hub refused the subscription (`unknown_channel`, `forbidden`, ...); it will not retry. */
  error: ClientError;
}

export interface SubscribeOptions {
  /**
   * Events after this position: a token (`<stream>:<seq>` pairs joined by `,`, as
   * `position` gives it; `""` for everything the hub holds); absent for live only
   * (from the moment of subscribing). A bare integer is a protocol-1 position, sent
   * as it is: the hub translates it, or answers with a `reset`.
   */
  readonly since?: string | number;
  /** A project uuid; the token's project when absent (the admin token: every project). */
  readonly project?: string;
  /** Events the async iterator may hold before the subscription pauses reading. @default 10_000 */
  readonly maxBuffered?: number;
}

/** What a subscription needs of its client. */
export interface SubscriptionHost {
  /** Sends a subscribe for `subscription` under a new wire id, from its position. */
  resubscribe(subscription: Subscription, reason: SubscriptionStateChange["reason"]): void;
  /** Stops reading under the current wire id. */
  stopReading(subscription: Subscription): void;
  remove(subscription: Subscription): void;
}

export const DEFAULT_MAX_BUFFERED = 10_000;

const NO_POSITIONS: ReadonlyMap<string, number> = new Map();

export class Subscription implements AsyncIterable<Delivery> {
  readonly channel: string | undefined;
  readonly project: string | undefined;
  readonly #events = new Emitter<SubscriptionEvents>();
  readonly #host: SubscriptionHost;
  readonly #maxBuffered: number;
  #state: SubscriptionState = "unsubscribed";
  /** The last seq delivered per stream; undefined until the hub's `subscribed` for live only or a protocol-1 `since`. */
  #positions: Map<string, number> | undefined;
  /** A protocol-1 `since`, asked for until the hub's `subscribed` says what it is per stream. */
  readonly #legacy: number | undefined;
  /** `#positions` as a token, made when asked for (undefined: changed since). */
  #token: string | undefined;
  /** The id the hub knows the current subscribe by; frames under older ids are dropped. */
  wireId: string | undefined;
  /** Between a subscribe and its `subscribed`: frames are dropped (the new subscribe replays them). */
  #live = false;
  #closed = false;
  #error: ClientError | undefined;
  #queue: Delivery[] | undefined;
  #paused = false;
  #wake: (() => void) | undefined;

  constructor(host: SubscriptionHost, channel: string | undefined, options: SubscribeOptions) {
    this.#host = host;
    this.channel = channel;
    this.project = options.project;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!Number.isSafeInteger(this.#maxBuffered) || this.#maxBuffered < 1) throw new RangeError(`maxBuffered must be a whole number >= 1, got ${this.#maxBuffered}`);
    const since = options.since;
    if (typeof since === "string") {
      this.#positions = parsePosition(since);
      if (this.#positions === undefined) throw new RangeError(`since must be a position token (<stream>:<seq> pairs joined by ",", or "" for the start), got ${JSON.stringify(since)}`);
    } else if (since !== undefined && (!Number.isSafeInteger(since) || since < 0)) {
      throw new RangeError(`since must be a position token or a protocol-1 seq (a whole number >= 0), got ${since}`);
    }
    this.#legacy = typeof since === "number" ? since : undefined;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /**
   * What the next subscribe asks for: the position token (the last seq delivered in
   * each stream, or the start asked for; save it to resume later). A protocol-1
   * `since` stays that number until the hub's `subscribed` translates it. Undefined:
   * live only, not yet subscribed.
   */
  get position(): string | number | undefined {
    const positions = this.#positions;
    if (positions === undefined) return this.#legacy;
    return (this.#token ??= formatPosition(positions));
  }

  /** The last seq delivered per stream (a live view; empty while `position` is not a token). */
  get positions(): ReadonlyMap<string, number> {
    return this.#positions ?? NO_POSITIONS;
  }

  /** Whether it still reads (not unsubscribed, not refused). */
  get active(): boolean {
    return !this.#closed;
  }

  on<Name extends keyof SubscriptionEvents>(name: Name, listener: (payload: SubscriptionEvents[Name]) => void): () => void {
    return this.#events.on(name, listener);
  }

  unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.stopReading(this);
    this.#host.remove(this);
    this.setState("unsubscribed", "unsubscribe");
    this.#wake?.();
  }

  /** Events one by one, for one consumer; ends after `unsubscribe()`, throws the refusal if the hub refuses. */
  async *[Symbol.asyncIterator](): AsyncIterator<Delivery> {
    if (this.#queue !== undefined) throw new Error("a subscription has one async iterator at a time");
    const queue: Delivery[] = (this.#queue = []);
    let head = 0;
    try {
      for (;;) {
        if (head < queue.length) {
          const next = queue[head++] as Delivery;
          if (head > 1_024 && head * 2 > queue.length) {
            queue.splice(0, head);
            head = 0;
          }
          if (this.#paused && queue.length - head <= this.#maxBuffered / 2) this.#refill();
          yield next;
          continue;
        }
        queue.length = 0;
        head = 0;
        if (this.#paused) this.#refill();
        if (this.#error !== undefined) throw this.#error;
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      this.#queue = undefined;
      if (this.#paused) this.#refill();
    }
  }

  // ---- called by the client ----

  setState(state: SubscriptionState, reason: SubscriptionStateChange["reason"]): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#events.emit("state", { state, previous, reason });
  }

  /** A (re)subscribe went out under `wireId`: what arrives until `subscribed` is replayed anyway. */
  subscribing(wireId: string, reason: SubscriptionStateChange["reason"]): void {
    this.wireId = wireId;
    this.#live = false;
    this.setState("subscribing", reason);
  }

  /** The hub's `subscribed`: its position is where delivery continues, whatever was asked (it knows what it can serve). */
  onSubscribed(position: string): void {
    this.#live = true;
    this.#moveTo(position);
    this.setState("subscribed", "subscribed");
    this.#events.emit("subscribed", { position });
  }

  /** The hot path: one event from the hub. */
  deliver(frame: MessageFrame | Delivery): void {
    const positions = this.#positions;
    if (!this.#live || this.#paused || positions === undefined) return;
    const seq = frame.seq;
    if (seq <= (positions.get(frame.stream) ?? 0)) return;
    positions.set(frame.stream, seq);
    this.#token = undefined;
    this.#events.emit("event", frame);
    const queue = this.#queue;
    if (queue === undefined) return;
    queue.push(frame);
    this.#wake?.();
    if (queue.length >= this.#maxBuffered) this.#pause();
  }

  onReset(frame: SubscriptionEvents["reset"]): void {
    this.#moveTo(frame.position);
    this.#events.emit("reset", { reason: frame.reason, streams: frame.streams, position: frame.position, message: frame.message });
  }

  onGap(stream: string, fromSeq: number, toSeq: number): void {
    this.#events.emit("gap", { stream, fromSeq, toSeq });
    this.#host.resubscribe(this, "gap");
  }

  /** Moves to a token the hub sent (both transports checked that it parses). */
  #moveTo(token: string): void {
    this.#positions = parsePosition(token) ?? new Map();
    this.#token = undefined;
  }

  refuse(error: ClientError): void {
    this.#closed = true;
    this.#error = error;
    this.#host.remove(this);
    this.setState("unsubscribed", "refused");
    this.#events.emit("error", error);
    this.#wake?.();
  }

  /** The consumer fell `maxBuffered` behind: stop reading; the hub holds the rest. */
  #pause(): void {
    this.#paused = true;
    this.#host.stopReading(this);
    this.setState("unsubscribed", "buffer_full");
  }

  #refill(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#closed) this.#host.resubscribe(this, "buffer_drained");
  }

  /** Whether a paused subscription should be left alone on reconnect. */
  get paused(): boolean {
    return this.#paused;
  }
}
