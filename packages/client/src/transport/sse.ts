/**
 * The Server-Sent Events transport, for where WebSockets are blocked: one
 * `GET /api/events` stream per subscription (resumed with the subscription's whole
 * position token as `Last-Event-ID`, or `?since=` for the empty token), publishes
 * as `POST /api/v1/events/batch`. Read with `fetch`, which browsers and Node 20 both
 * have and which, unlike `EventSource`, sends the token in a header and shows the
 * hub's status codes, so a refused token is told apart from a lost network. The
 * streams' control events become the WebSocket's frames: `ready` is `subscribed`,
 * `reset` and `gap` are themselves, `end` closes the connection with the code it
 * carries (a stream that reached its lifetime is reopened alone, from its position).
 * Each event's `id:` is the subscriber's position after it; the event's stream is its
 * project (`streamOf`), and its seq is that stream's entry in the id.
 */
import {
  CLOSE_CODES,
  DEFAULT_LIMITS,
  SSE_EVENTS,
  channelOf,
  isStreamId,
  streamOf,
  type Envelope,
  type ErrorCode,
  type Issue,
  type Limits,
  type SseEndData,
  type SseGapData,
  type SseReadyData,
  type SseResetData,
} from "@events/schema";
import { isEnvelopeLike, isPositionToken, isStreamList, parseJson } from "../frames.js";
import { SseParser, type SseMessage } from "./sse-parser.js";
import type { SubscribeRequest, Transport, TransportConfig, TransportFactory, TransportHandlers } from "./transport.js";
import { unrefTimer } from "./websocket.js";

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEAD_GRACE_MS = 5_000;
const ABNORMAL = 1006;

interface Stream {
  readonly controller: AbortController;
  readonly channel: string | undefined;
  heartbeatMs: number;
  lastByteAt: number;
}

export function sseTransport(fetchImpl: typeof fetch = globalThis.fetch): TransportFactory {
  return (config, handlers) => new SseTransport(fetchImpl, config, handlers);
}

class SseTransport implements Transport {
  readonly kind = "sse";
  readonly #fetch: typeof fetch;
  readonly #config: TransportConfig;
  readonly #handlers: TransportHandlers;
  readonly #streams = new Map<string, Stream>();
  readonly #publishes = new Set<AbortController>();
  readonly #watch: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(fetchImpl: typeof fetch, config: TransportConfig, handlers: TransportHandlers) {
    // Called bare: a browser's fetch refuses to run as a method of another object.
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#config = config;
    this.#handlers = handlers;
    this.#watch = unrefTimer(setInterval(() => this.#checkSilence(), 1_000), config.unref);
    void this.#open();
  }

  /** The hub is reachable and says its limits: the connection counts as open. */
  async #open(): Promise<void> {
    const controller = new AbortController();
    const timer = unrefTimer(setTimeout(() => controller.abort(), this.#config.connectTimeoutMs), this.#config.unref);
    try {
      const response = await this.#fetch(new URL("/api/v1/limits", this.#config.url), { signal: controller.signal, headers: this.#headers() });
      if (response.status === 401) return this.close(CLOSE_CODES.unauthenticated, (await errorOf(response)).message);
      // 404 and the like: not a hub (or a proxy in the way); retried, since it may be one later.
      if (!response.ok) return this.close(CLOSE_CODES.internalError, `GET /api/v1/limits answered ${response.status}`);
      const limits = { ...DEFAULT_LIMITS, ...((await response.json()) as Partial<Limits>) };
      if (this.#closed) return;
      this.#handlers.opened({ limits, heartbeatMs: 0, lamportClock: undefined, nodeId: undefined, hubVersion: undefined });
    } catch (error) {
      this.close(ABNORMAL, controller.signal.aborted ? `no answer from the hub within ${this.#config.connectTimeoutMs} ms` : messageOf(error));
    } finally {
      clearTimeout(timer);
    }
  }

  subscribe(request: SubscribeRequest): void {
    if (this.#closed) return;
    const stream: Stream = { controller: new AbortController(), channel: request.channel, heartbeatMs: DEFAULT_HEARTBEAT_MS, lastByteAt: Date.now() };
    this.#streams.set(request.sub, stream);
    void this.#read(request, stream);
  }

  unsubscribe(sub: string): void {
    const stream = this.#streams.get(sub);
    if (stream === undefined) return;
    this.#streams.delete(sub);
    stream.controller.abort();
  }

  publish(ref: string, events: readonly string[]): void {
    if (this.#closed) return;
    void this.#post(ref, events);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    for (const stream of this.#streams.values()) stream.controller.abort();
    for (const publish of this.#publishes) publish.abort();
    this.#streams.clear();
    this.#handlers.closed(code, reason);
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.#config.token === undefined ? {} : { authorization: `Bearer ${this.#config.token}` }), ...extra };
  }

  async #read(request: SubscribeRequest, stream: Stream): Promise<void> {
    const url = new URL("/api/events", this.#config.url);
    if (request.channel !== undefined) url.searchParams.set("channel", request.channel);
    if (request.project !== undefined) url.searchParams.set("project", request.project);
    // An empty Last-Event-ID means "none" to an SSE server: the empty token (the start of everything) goes as `?since=`.
    const since = request.since === undefined ? undefined : String(request.since);
    if (since === "") url.searchParams.set("since", "");
    let response: Response;
    try {
      response = await this.#fetch(url, {
        signal: stream.controller.signal,
        headers: this.#headers({ accept: "text/event-stream", ...(since === undefined || since === "" ? {} : { "last-event-id": since }) }),
      });
    } catch (error) {
      if (!stream.controller.signal.aborted) this.close(ABNORMAL, messageOf(error));
      return;
    }
    if (!response.ok || response.body === null) return this.#refused(request, response);
    const parser = new SseParser((message) => this.#onMessage(request.sub, stream, message));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stream.lastByteAt = Date.now();
        parser.push(value);
        if (this.#streams.get(request.sub) !== stream) return void reader.cancel().catch(() => undefined);
      }
    } catch (error) {
      if (!stream.controller.signal.aborted) this.close(ABNORMAL, messageOf(error));
      return;
    }
    // The body ended without an `end` event: the connection was cut.
    if (this.#streams.get(request.sub) === stream) this.close(ABNORMAL, "the event stream ended");
  }

  async #refused(request: SubscribeRequest, response: Response): Promise<void> {
    const error = await errorOf(response);
    if (response.status === 401) return this.close(CLOSE_CODES.unauthenticated, error.message);
    if (response.status === 400 || response.status === 403 || response.status === 404) {
      this.#streams.delete(request.sub);
      this.#handlers.frame({ type: "error", code: error.code, message: error.message, sub: request.sub, ...(request.channel === undefined ? {} : { channel: request.channel }) });
      return;
    }
    this.close(CLOSE_CODES.internalError, error.message);
  }

  #onMessage(sub: string, stream: Stream, message: SseMessage): void {
    if (this.#streams.get(sub) !== stream) return;
    const data = parseJson(message.data) as Record<string, unknown> | undefined;
    if (typeof data !== "object" || data === null) return this.#handlers.malformed();
    switch (message.event) {
      case SSE_EVENTS.ready: {
        const ready = data as Partial<SseReadyData>;
        stream.heartbeatMs = typeof ready.heartbeat_ms === "number" && ready.heartbeat_ms > 0 ? ready.heartbeat_ms : DEFAULT_HEARTBEAT_MS;
        if (!isPositionToken(ready.position)) return this.#handlers.malformed();
        this.#handlers.frame({ type: "subscribed", sub, position: ready.position });
        return;
      }
      case SSE_EVENTS.reset: {
        const reset = data as Partial<SseResetData>;
        if (!isPositionToken(reset.position) || !isStreamList(reset.streams) || reset.reason === undefined) return this.#handlers.malformed();
        this.#handlers.frame({ type: "reset", sub, reason: reset.reason, streams: reset.streams, position: reset.position, message: reset.message ?? "" });
        return;
      }
      case SSE_EVENTS.gap: {
        const gap = data as Partial<SseGapData>;
        if (!isStreamId(gap.stream) || !isSeq(gap.from_seq) || !isSeq(gap.to_seq)) return this.#handlers.malformed();
        this.#handlers.frame({ type: "gap", sub, stream: gap.stream, from_seq: gap.from_seq, to_seq: gap.to_seq, reason: gap.reason ?? "slow_consumer" });
        return;
      }
      case SSE_EVENTS.end: {
        const end = data as Partial<SseEndData>;
        if (end.reason === "lifetime") {
          this.#streams.delete(sub);
          stream.controller.abort();
          this.#handlers.expired(sub);
          return;
        }
        // The end's code is the WebSocket close code the same cause would have: the client acts on it alike.
        this.close(typeof end.code === "number" ? end.code : CLOSE_CODES.normal, end.message ?? String(end.reason));
        return;
      }
      default: {
        if (!isEnvelopeLike(data)) return this.#handlers.malformed();
        const event = data as unknown as Envelope;
        const eventStream = streamOf(event.project_uuid);
        const seq = message.id === undefined ? undefined : seqIn(message.id, eventStream);
        if (seq === undefined) return this.#handlers.malformed();
        this.#handlers.frame({ type: "message", sub, stream: eventStream, seq, channel: channelOf(event) ?? stream.channel ?? "", event });
      }
    }
  }

  async #post(ref: string, events: readonly string[]): Promise<void> {
    const controller = new AbortController();
    this.#publishes.add(controller);
    try {
      const response = await this.#fetch(new URL("/api/v1/events/batch", this.#config.url), {
        method: "POST",
        signal: controller.signal,
        headers: this.#headers({ "content-type": "application/json" }),
        body: `{"events":[${events.join(",")}]}`,
      });
      if (response.status === 401) {
        this.#handlers.frame({ type: "error", code: "unauthenticated", message: (await errorOf(response)).message, ref });
        return this.close(CLOSE_CODES.unauthenticated, "the hub refused the token");
      }
      if (!response.ok) {
        const error = await errorOf(response);
        this.#handlers.frame({ type: "error", code: error.code, message: error.message, ref, ...(error.issues.length === 0 ? {} : { issues: [...error.issues] }) });
        return;
      }
      const body = (await response.json()) as { results: never[]; lamport_clock: number };
      this.#handlers.frame({ type: "ack", ref, results: body.results, lamport_clock: body.lamport_clock });
    } catch (error) {
      if (!this.#closed) this.#handlers.frame({ type: "error", code: "unavailable", message: `the publish did not reach the hub: ${messageOf(error)}`, ref });
    } finally {
      this.#publishes.delete(controller);
    }
  }

  #checkSilence(): void {
    const now = Date.now();
    for (const stream of this.#streams.values()) {
      const silent = now - stream.lastByteAt;
      if (silent > 2 * stream.heartbeatMs + DEAD_GRACE_MS) return this.close(CLOSE_CODES.pingTimeout, `nothing from the hub for ${silent} ms`);
    }
  }
}

async function errorOf(response: Response): Promise<{ code: ErrorCode; message: string; issues: readonly Issue[] }> {
  const fallback: ErrorCode = response.status === 401 ? "unauthenticated" : response.status === 403 ? "forbidden" : response.status >= 500 ? "unavailable" : "bad_request";
  try {
    const body = (await response.json()) as { error?: { code?: ErrorCode; message?: string; issues?: Issue[] } };
    return { code: body.error?.code ?? fallback, message: body.error?.message ?? `HTTP ${response.status}`, issues: body.error?.issues ?? [] };
  } catch {
    return { code: fallback, message: `HTTP ${response.status}`, issues: [] };
  }
}

/**
 * `stream`'s seq in a position token, found without parsing the whole token (an
 * event's id names every stream of its subscription); undefined when not there.
 */
export function seqIn(token: string, stream: string): number | undefined {
  const key = `${stream}:`;
  let from = key.length;
  if (!token.startsWith(key)) {
    const at = token.indexOf(`,${key}`);
    if (at === -1) return undefined;
    from += at + 1;
  }
  const end = token.indexOf(",", from);
  const digits = end === -1 ? token.slice(from) : token.slice(from, end);
  const seq = Number(digits);
  return /^[0-9]{1,15}$/.test(digits) && seq > 0 ? seq : undefined;
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
