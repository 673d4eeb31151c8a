/**
 * The WebSocket transport (`/api/v1/ws`): `hello` with the token, `welcome` with the
 * hub's limits, then frames both ways. The hub pings with WebSocket control frames,
 * which a browser answers without telling the page, so the client keeps its own
 * watch: after `heartbeat_ms` of silence it sends a JSON `ping`, and a connection
 * that stays silent past twice that (plus a grace) is closed with 4408 and reopened.
 */
import { CLOSE_CODES, PROTOCOL_VERSION, type HubFrame } from "@events/schema";
import { parseJson, readHubFrame } from "../frames.js";
import type { SubscribeRequest, Transport, TransportConfig, TransportFactory, TransportHandlers } from "./transport.js";

/** The part of the WebSocket API (the browser's, or the `ws` package's) the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens a socket to `url`: `new WebSocket(url)` in a browser, `ws` with options in Node. */
export type OpenSocket = (url: string, config: TransportConfig) => WebSocketLike;

const OPEN = 1;
/** When the hub does not say (welcome.heartbeat_ms 0), a quiet connection is checked this often. */
const DEFAULT_HEARTBEAT_MS = 20_000;
/** Added to twice the heartbeat before a silent connection counts as dead. */
const DEAD_GRACE_MS = 5_000;

export function webSocketUrl(url: string): string {
  const target = new URL("/api/v1/ws", url);
  target.protocol = target.protocol === "https:" || target.protocol === "wss:" ? "wss:" : "ws:";
  return target.toString();
}

export function webSocketTransport(openSocket: OpenSocket): TransportFactory {
  return (config, handlers) => new WebSocketTransport(openSocket, config, handlers);
}

class WebSocketTransport implements Transport {
  readonly kind = "websocket";
  readonly #socket: WebSocketLike;
  readonly #handlers: TransportHandlers;
  readonly #config: TransportConfig;
  #welcomed = false;
  #closed = false;
  /** What the socket's last error said (Node's `ws` says why: ECONNREFUSED, "Unexpected server response: 403"). */
  #lastError = "";
  #lastFrameAt = Date.now();
  #watch: ReturnType<typeof setInterval> | undefined;
  readonly #connectTimer: ReturnType<typeof setTimeout>;

  constructor(openSocket: OpenSocket, config: TransportConfig, handlers: TransportHandlers) {
    this.#handlers = handlers;
    this.#config = config;
    this.#connectTimer = unrefTimer(
      setTimeout(() => this.close(CLOSE_CODES.pingTimeout, `no welcome from the hub within ${config.connectTimeoutMs} ms`), config.connectTimeoutMs),
      config.unref,
    );
    let socket: WebSocketLike;
    try {
      socket = openSocket(webSocketUrl(config.url), config);
    } catch (error) {
      // A malformed URL or a refused constructor: closed on the next tick, as a network failure would be.
      this.#socket = { readyState: 3, onopen: null, onmessage: null, onclose: null, onerror: null, send: () => undefined, close: () => undefined };
      queueMicrotask(() => this.#finish(1006, error instanceof Error ? error.message : String(error)));
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, client: config.clientName, ...(config.token === undefined ? {} : { token: config.token }) }));
    };
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onerror = (event) => {
      const message = (event as { message?: unknown } | null)?.message;
      if (typeof message === "string") this.#lastError = message;
    };
    // A socket that never opened closes with 1006 and no reason: the error says why.
    socket.onclose = (event) => this.#finish(event.code, event.reason === "" ? this.#lastError : event.reason);
  }

  subscribe(request: SubscribeRequest): void {
    this.#send(
      JSON.stringify({
        type: "subscribe",
        sub: request.sub,
        ...(request.channel === undefined ? {} : { channel: request.channel }),
        ...(request.project === undefined ? {} : { project: request.project }),
        ...(request.since === undefined ? {} : { since: request.since }),
      }),
    );
  }

  unsubscribe(sub: string): void {
    this.#send(JSON.stringify({ type: "unsubscribe", sub }));
  }

  publish(ref: string, events: readonly string[]): void {
    // The events are JSON already: spliced in rather than parsed and written again.
    this.#send(`{"type":"publish","ref":${JSON.stringify(ref)},"events":[${events.join(",")}]}`);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    try {
      // Browsers accept only 1000 and 3000-4999 from a page.
      this.#socket.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason.slice(0, 120));
    } catch {
      // Already closing.
    }
    this.#finish(code, reason);
  }

  #send(text: string): void {
    if (this.#socket.readyState === OPEN) this.#socket.send(text);
  }

  #onMessage(data: unknown): void {
    this.#lastFrameAt = Date.now();
    const frame = readHubFrame(parseJson(typeof data === "string" ? data : decodeText(data)));
    if (frame === undefined) return this.#handlers.malformed();
    if (!this.#welcomed) return this.#beforeWelcome(frame);
    if (frame.type === "ping") {
      this.#send(JSON.stringify(frame.ts === undefined ? { type: "pong" } : { type: "pong", ts: frame.ts }));
      return;
    }
    this.#handlers.frame(frame);
  }

  #beforeWelcome(frame: HubFrame): void {
    if (frame.type === "welcome") {
      this.#welcomed = true;
      clearTimeout(this.#connectTimer);
      this.#watchSilence(frame.heartbeat_ms > 0 ? frame.heartbeat_ms : DEFAULT_HEARTBEAT_MS);
      this.#handlers.opened({ limits: frame.limits, heartbeatMs: frame.heartbeat_ms, lamportClock: frame.lamport_clock, nodeId: frame.node_id, hubVersion: frame.hub_version });
      return;
    }
    if (frame.type === "error") {
      this.close(frame.code === "unauthenticated" ? CLOSE_CODES.unauthenticated : frame.code === "forbidden" ? CLOSE_CODES.forbidden : CLOSE_CODES.protocolError, frame.message);
    }
  }

  #watchSilence(heartbeatMs: number): void {
    const every = Math.max(1_000, heartbeatMs);
    this.#watch = unrefTimer(
      setInterval(() => {
        const silent = Date.now() - this.#lastFrameAt;
        if (silent > 2 * every + DEAD_GRACE_MS) this.close(CLOSE_CODES.pingTimeout, `nothing from the hub for ${silent} ms`);
        else if (silent >= every) this.#send(JSON.stringify({ type: "ping", ts: Date.now() }));
      }, every),
      this.#config.unref,
    );
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#connectTimer);
    clearInterval(this.#watch);
    this.#socket.onopen = null;
    this.#socket.onmessage = null;
    this.#socket.onclose = null;
    this.#handlers.closed(code, reason);
  }
}

function decodeText(data: unknown): string {
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return String(data);
}

/** Node's timers can stop holding the process; a browser's are numbers. */
export function unrefTimer<T>(timer: T, unref: boolean): T {
  if (unref && typeof timer === "object" && timer !== null && "unref" in timer) (timer as { unref: () => void }).unref();
  return timer;
}
