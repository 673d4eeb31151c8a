/**
 * One interface over the hub's two live transports. The client speaks in hub frames
 * (`subscribed`, `message`, `gap`, `reset`, `ack`, `error`); the WebSocket transport
 * passes the hub's frames through, the SSE transport builds the same frames from its
 * streams and HTTP answers. A transport is used for one connection: after `closed`
 * the client makes a new one.
 */
import type { HubFrame, Limits } from "@events/schema";

export type TransportKind = "websocket" | "sse";

/** What the client learns when a connection opens. */
export interface OpenInfo {
  readonly limits: Limits;
  /** How often the hub sends something on a quiet connection, in ms (0: unknown). */
  readonly heartbeatMs: number;
  /** The hub's Lamport value, when the transport says one. */
  readonly lamportClock: number | undefined;
  readonly nodeId: string | undefined;
  readonly hubVersion: string | undefined;
}

export interface SubscribeRequest {
  /** The wire id of this subscription (a new one for every (re)subscribe). */
  readonly sub: string;
  readonly channel: string | undefined;
  readonly project: string | undefined;
  /** Resume after this position token (a number: a protocol-1 seq, sent as it is); live only when undefined. */
  readonly since: string | number | undefined;
}

export interface TransportHandlers {
  opened(info: OpenInfo): void;
  frame(frame: HubFrame): void;
  /** A subscription's stream ended on its own and must be opened again from its position (SSE lifetime). */
  expired(sub: string): void;
  /** A frame that could not be read (not JSON, or not a shape the client knows): dropped and counted. */
  malformed(): void;
  /** Once, when the connection is gone: a WebSocket close code (or the SSE equivalent) and reason. */
  closed(code: number, reason: string): void;
}

export interface Transport {
  readonly kind: TransportKind;
  subscribe(request: SubscribeRequest): void;
  unsubscribe(sub: string): void;
  /** Sends one publish; the answer comes as an `ack` or an `error` frame with `ref`. `events` is JSON text of each event. */
  publish(ref: string, events: readonly string[]): void;
  close(code: number, reason: string): void;
}

export interface TransportConfig {
  /** The hub's base URL, `http(s)://host:port`. */
  readonly url: string;
  readonly token: string | undefined;
  readonly clientName: string;
  readonly connectTimeoutMs: number;
  /** Node only: sockets and timers do not keep the process alive. */
  readonly unref: boolean;
}

export type TransportFactory = (config: TransportConfig, handlers: TransportHandlers) => Transport;
