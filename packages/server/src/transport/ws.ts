/**
 * `GET /api/v1/ws`: the hub's WebSocket protocol. A thin adapter: frames are
 * decoded by @events/schema, handed to the core, and answers encoded back.
 *  - hello -> welcome (the token may come in hello, for clients without headers)
 *  - publish -> one ack with a result per event, after the commit
 *  - subscribe (with `since`, a position token or a protocol-1 seq) -> subscribed
 *    (then maybe one reset), replay, live; unsubscribe -> unsubscribed
 *  - ping -> pong
 * A malformed frame is answered with an `error` frame and the connection stays up;
 * a frame over `max_frame_bytes` is answered and closed with 1009; a missing or
 * unknown token closes with 4401, a token without the scope or project with 4403.
 */
import {
  CLOSE_CODES,
  RECEIVED_NOTHING,
  clientFrameCodec,
  parsePosition,
  receivedText,
  type ClientFrame,
  type ErrorFrame,
  type HubFrame,
  type Issue,
  type Position,
  type PublishFrame,
  type SubscribeFrame,
} from "@events/schema";
import { fromToken, learnCredentials, type Credentials } from "../auth/authenticate.js";
import { textFrame } from "../broker/published-event.js";
import type { Subscriber } from "../broker/subscriber.js";
import type { HubCore } from "../core/hub-core.js";
import { ingestFailure, publishAccess, type PublishAccess } from "../core/publish-access.js";
import { subscriptionAccess } from "../core/subscription-access.js";
import { eventsDespiteElements } from "./element-issues.js";
import type { WsPeer, WsSink } from "./ws-peer.js";

/** Publish frames one connection may have waiting for their acks before the hub stops reading it. */
const MAX_IN_FLIGHT = 32;
/**
 * Frames a connection may send while its `hello` is being checked (a cluster node
 * looks a token it does not know up in the store); they are handled in order after
 * `welcome`. The socket is paused meanwhile, so only frames already read can pile
 * up; past this many the connection is closed with 1002.
 */
export const MAX_FRAMES_BEFORE_WELCOME = 64;
/** Subscriptions one connection may hold. */
const MAX_SUBSCRIPTIONS = 64;
const MAX_ISSUES = 50;

interface Subscription {
  readonly subscriber: Subscriber;
  readonly sink: WsSink;
}

export class WsProtocolConnection {
  readonly #core: HubCore;
  readonly #peer: WsPeer;
  #subscriptions: Map<string, Subscription> | undefined;
  #inFlight = 0;
  /** Frames received while a `hello` is checked; undefined when none is. */
  #held: Buffer[] | undefined;

  constructor(core: HubCore, peer: WsPeer, credentials: Credentials) {
    this.#core = core;
    this.#peer = peer;
    if (credentials.kind === "invalid") peer.close(CLOSE_CODES.unauthenticated, credentials.message);
    else if (credentials.kind === "valid") peer.principal = credentials.principal;
  }

  onMessage(data: Buffer): void {
    if (this.#held !== undefined) {
      if (this.#held.length >= MAX_FRAMES_BEFORE_WELCOME) {
        this.#peer.close(CLOSE_CODES.protocolError, `more than ${MAX_FRAMES_BEFORE_WELCOME} frames before welcome`);
        return;
      }
      this.#held.push(data);
      return;
    }
    const limits = this.#core.options.limits;
    if (data.length > limits.max_frame_bytes) {
      this.#core.metrics.malformed.inc({ transport: "ws" });
      const message = `a frame of ${data.length} bytes > max_frame_bytes ${limits.max_frame_bytes}`;
      this.#error({ code: "frame_too_large", message });
      this.#peer.close(CLOSE_CODES.frameTooLarge, `max_frame_bytes=${limits.max_frame_bytes}`);
      return;
    }
    const decoded = clientFrameCodec.decodeJson(data);
    if (decoded.ok) {
      this.#handle(decoded.value);
      return;
    }
    const publish = publishDespiteElements(data, decoded.issues);
    if (publish !== undefined) {
      this.#publish(publish);
      return;
    }
    this.#core.metrics.malformed.inc({ transport: "ws" });
    this.#error(frameError(decoded.issues));
  }

  onClose(): void {
    if (this.#subscriptions === undefined) return;
    for (const { subscriber, sink } of this.#subscriptions.values()) {
      sink.detach();
      subscriber.detach();
    }
    this.#subscriptions = undefined;
  }

  #handle(frame: ClientFrame): void {
    switch (frame.type) {
      case "hello":
        this.#hello(frame.token);
        return;
      case "publish":
        this.#publish(frame);
        return;
      case "subscribe":
        this.#subscribe(frame);
        return;
      case "unsubscribe":
        this.#unsubscribe(frame.sub);
        return;
      case "ping":
        this.#send(frame.ts === undefined ? { type: "pong" } : { type: "pong", ts: frame.ts });
        return;
      case "pong":
        return;
    }
  }

  #hello(token: string | undefined): void {
    if (token !== undefined && this.#core.cluster !== undefined) {
      // A token made on another node is looked up in the store first; frames that
      // follow wait for the answer, so a pipelined publish is not refused 4401.
      this.#held = [];
      this.#updatePause();
      void learnCredentials(this.#core, { headers: { authorization: `Bearer ${token}` } }).then(() => {
        if (!this.#peer.closing) this.#helloWith(token);
        this.#release();
      });
      return;
    }
    this.#helloWith(token);
  }

  /** Handles the frames held back during a `hello`, in order (one may be another `hello`). */
  #release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#updatePause();
    for (let index = 0; index < held.length; index++) {
      if (this.#peer.closing) return;
      // A held frame may be another `hello` that holds again: the rest wait behind it.
      const holding = this.#held as Buffer[] | undefined;
      if (holding !== undefined) {
        holding.push(...held.slice(index));
        return;
      }
      try {
        this.onMessage(held[index]!);
      } catch (error) {
        this.#core.logger.error("handling a WebSocket frame failed", { error });
        this.#error({ code: "internal", message: "the hub failed on this frame" });
      }
    }
  }

  /** The socket is read only when no hello is being checked and acks are not too far behind. */
  #updatePause(): void {
    const pause = this.#held !== undefined || this.#inFlight >= MAX_IN_FLIGHT;
    if (pause && !this.#peer.ws.isPaused) this.#peer.ws.pause();
    else if (!pause && this.#peer.ws.isPaused) this.#peer.ws.resume();
  }

  #helloWith(token: string | undefined): void {
    if (token !== undefined) {
      const credentials = fromToken({ tokens: this.#core.tokens, tickets: this.#core.tickets }, token);
      if (credentials.kind !== "valid") {
        this.#peer.close(CLOSE_CODES.unauthenticated, "unknown or revoked token");
        return;
      }
      this.#peer.principal = credentials.principal;
    }
    if (this.#peer.principal === undefined) {
      this.#peer.close(CLOSE_CODES.unauthenticated, "send Authorization: Bearer <token> or hello.token");
      return;
    }
    this.#send(this.#core.welcome());
  }

  #publish(frame: PublishFrame): void {
    const core = this.#core;
    const access = publishAccess(this.#peer.principal, frame.events.length, { limits: core.options.limits, closing: core.closing });
    if (!access.ok) {
      this.#refusePublish(frame.ref, access);
      return;
    }
    this.#inFlight++;
    this.#updatePause();
    core
      .ingest(frame.events, access.principal, "ws")
      .then(
        (result) => this.#send({ type: "ack", ref: frame.ref, results: result.results, lamport_clock: result.lamportClock }),
        (error: unknown) => {
          core.logger.error("storing a publish frame failed", { error });
          this.#error({ ...ingestFailure(error, "frame"), ref: frame.ref });
        },
      )
      .finally(() => {
        this.#inFlight--;
        this.#updatePause();
      });
  }

  /** No credential or no write scope closes the connection; the rest is an `error` with the `ref`, and it stays. */
  #refusePublish(ref: string, refusal: Extract<PublishAccess, { ok: false }>): void {
    switch (refusal.code) {
      case "unauthenticated":
        this.#peer.close(CLOSE_CODES.unauthenticated, refusal.message);
        return;
      case "forbidden":
        this.#peer.close(CLOSE_CODES.forbidden, refusal.message);
        return;
      case "batch_too_large":
        this.#core.metrics.malformed.inc({ transport: "ws" });
        this.#error({ code: refusal.code, ref, message: refusal.message });
        return;
      case "unavailable":
        this.#error({ code: refusal.code, ref, message: refusal.message });
        return;
    }
  }

  #subscribe(frame: SubscribeFrame): void {
    const principal = this.#peer.principal;
    if (principal === undefined) {
      this.#peer.close(CLOSE_CODES.unauthenticated, "authenticate first (hello with a token)");
      return;
    }
    const access = subscriptionAccess(principal, frame);
    // A refusal names the subscription; the connection stays, and so do its other subscriptions.
    const refuse = (code: ErrorFrame["code"], message: string): void =>
      this.#error({ code, message, sub: frame.sub, ...(frame.channel === undefined ? {} : { channel: frame.channel }) });
    if (!access.ok) {
      this.#unsubscribe(frame.sub, true);
      refuse(access.code, access.message);
      return;
    }
    const subscriptions = (this.#subscriptions ??= new Map());
    this.#unsubscribe(frame.sub, true);
    if (subscriptions.size >= MAX_SUBSCRIPTIONS) {
      refuse("bad_request", `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribe one first`);
      return;
    }
    const since = sinceOf(frame.since);
    if (since === null) {
      const expected = "a position token with each stream named once (or a protocol-1 seq)";
      const received = receivedText(frame.since);
      const message = `since: expected ${expected}, received ${received}`;
      this.#error({ code: "bad_request", message, sub: frame.sub, issues: [{ path: "/since", expected, received, message }] });
      return;
    }
    const sub = frame.sub;
    const sink = this.#peer.sink();
    const subscriber = this.#core.openStream({
      filter: { channel: frame.channel, project: access.project },
      framer: {
        event: (event) => event.wsFrame(sub),
        batch: (batch) => batch.wsFrames(sub),
        gap: (stream, fromSeq, toSeq) =>
          textFrame(Buffer.from(JSON.stringify({ type: "gap", sub, stream, from_seq: fromSeq, to_seq: toSeq, reason: "slow_consumer" } satisfies HubFrame))),
      },
      sink,
      since,
      opened: ({ position, reset }) => {
        this.#send({ type: "subscribed", sub, position });
        if (reset !== undefined) this.#send({ type: "reset", sub, reason: reset.reason, streams: [...reset.streams], position, message: reset.message });
      },
    });
    subscriptions.set(sub, { subscriber, sink });
  }

  #unsubscribe(sub: string, quiet = false): void {
    const subscription = this.#subscriptions?.get(sub);
    if (subscription === undefined) {
      if (!quiet) this.#error({ code: "not_found", message: `no subscription ${JSON.stringify(sub)} on this connection` });
      return;
    }
    this.#subscriptions?.delete(sub);
    subscription.sink.detach();
    subscription.subscriber.detach();
    if (!quiet) this.#send({ type: "unsubscribed", sub });
  }

  #send(frame: HubFrame): void {
    this.#peer.sendJson(frame);
  }

  #error(error: Omit<ErrorFrame, "type">): void {
    this.#send({ type: "error", ...error });
  }
}

/**
 * `subscribe.since` as resume takes it: a token's position, a protocol-1 seq, or
 * undefined (live only); null for a token the schema's pattern lets through but that
 * is not a position (a stream named twice, a seq past 15 digits).
 */
function sinceOf(since: SubscribeFrame["since"]): Position | number | undefined | null {
  if (since === undefined || typeof since === "number") return since;
  return parsePosition(since) ?? null;
}

/** A publish frame refused only for elements that are not objects: answered per event instead. */
function publishDespiteElements(data: Buffer, issues: readonly Issue[]): PublishFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const frame = value as { type?: unknown; ref?: unknown };
  if (frame.type !== "publish" || typeof frame.ref !== "string" || frame.ref.length < 1 || frame.ref.length > 64) return undefined;
  const events = eventsDespiteElements(value, issues, ["type", "ref", "events"]);
  return events === undefined ? undefined : ({ type: "publish", ref: frame.ref, events } as PublishFrame);
}

function frameError(issues: readonly Issue[]): Omit<ErrorFrame, "type"> {
  // Only the tag dispatch reports `/type`: a type that came but names no frame is unknown.
  const unknownType = issues.some((issue) => issue.path === "/type" && issue.received !== RECEIVED_NOTHING);
  const first = issues[0];
  return {
    code: unknownType ? "unknown_type" : "bad_frame",
    message: first === undefined ? "not a valid frame" : `not a valid frame: ${first.message}`.slice(0, 8192),
    issues: issues.slice(0, MAX_ISSUES).map(clip),
  };
}

function clip(issue: Issue): Issue {
  return {
    path: issue.path.slice(0, 4096),
    expected: issue.expected.slice(0, 4096),
    received: issue.received, // already cut at RECEIVED_MAX_CHARS by the codec
    message: issue.message.slice(0, 8192),
  };
}
