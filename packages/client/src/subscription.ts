/**
 * One subscription: a channel (or all) of a project, from a position. It keeps the
 * last `seq` it delivered and asks the hub for what follows it after every
 * reconnect, a `gap` or a stream's end, so its listeners see each event once, in
 * order. Events arrive through `on("event")` and, for one consumer, through
 * `for await`, whose buffer is bounded: when it fills, the subscription stops
 * reading from the hub and resumes from its position once the consumer catches up.
 */
import type { Envelope, MessageFrame, ResetFrame } from "@events/schema";
import { Emitter } from "./emitter.js";
import { type ClientError } from "./errors.js";

export type SubscriptionState =
  /** Not (or no longer) asking the hub for events: before the client connects, after `unsubscribe()`, or refused. */
  | "unsubscribed"
  /** Asked; waiting for the hub's `subscribed` (after a reconnect, a gap or a refill of the buffer too). */
  | "subscribing"
  /** Replaying what was missed, then live. */
  | "subscribed";

/** An event as delivered: its `seq` (the position to resume after), its channel and the envelope. */
export interface Delivery<E extends Envelope = Envelope> {
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
  /** The hub accepted the subscription: replay starts after `fromSeq`; `headSeq` was the newest at that moment. */
  subscribed: { readonly fromSeq: number; readonly headSeq: number };
  /** The hub cannot serve the position: delivery continues after `seq`. `position_ahead`: its store is not the one followed so far. */
  reset: { readonly reason: ResetFrame["reason"]; readonly seq: number; readonly message: string };
  /** The hub dropped events for this slow subscriber; they are being read again (nothing to do). */
  gap: { readonly fromSeq: number; readonly toSeq: number };
  /** The hub refused the subscription (`unknown_channel`, `forbidden`, ...); it will not retry. */
  error: ClientError;
}

export interface SubscribeOptions {
  /** Events after this `seq`: 0 for everything the hub holds; absent for live only (from the moment of subscribing). */
  readonly since?: number;
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

export class Subscription implements AsyncIterable<Delivery> {
  readonly channel: string | undefined;
  readonly project: string | undefined;
  readonly #events = new Emitter<SubscriptionEvents>();
  readonly #host: SubscriptionHost;
  readonly #maxBuffered: number;
  #state: SubscriptionState = "unsubscribed";
  #position: number | undefined;
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
    this.#position = options.since;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!Number.isSafeInteger(this.#maxBuffered) || this.#maxBuffered < 1) throw new RangeError(`maxBuffered must be a whole number >= 1, got ${this.#maxBuffered}`);
    if (options.since !== undefined && (!Number.isSafeInteger(options.since) || options.since < 0)) throw new RangeError(`since must be a seq (a whole number >= 0), got ${options.since}`);
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** The last `seq` delivered (or the start asked for); the next subscribe asks for what follows. Undefined: live only, not yet subscribed. */
  get position(): number | undefined {
    return this.#position;
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

  onSubscribed(fromSeq: number, headSeq: number): void {
    this.#live = true;
    this.#position ??= fromSeq;
    this.setState("subscribed", "subscribed");
    this.#events.emit("subscribed", { fromSeq, headSeq });
  }

  /** The hot path: one event from the hub. */
  deliver(frame: MessageFrame | Delivery): void {
    if (!this.#live || this.#paused) return;
    const seq = frame.seq;
    if (this.#position !== undefined && seq <= this.#position) return;
    this.#position = seq;
    this.#events.emit("event", frame);
    const queue = this.#queue;
    if (queue === undefined) return;
    queue.push(frame);
    this.#wake?.();
    if (queue.length >= this.#maxBuffered) this.#pause();
  }

  onReset(frame: { readonly reason: ResetFrame["reason"]; readonly seq: number; readonly message: string }): void {
    this.#position = frame.seq;
    this.#events.emit("reset", { reason: frame.reason, seq: frame.seq, message: frame.message });
  }

  onGap(fromSeq: number, toSeq: number): void {
    this.#events.emit("gap", { fromSeq, toSeq });
    this.#host.resubscribe(this, "gap");
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
