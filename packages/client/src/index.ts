/**
 * @events/client: the hub's live protocol for browsers and Node.
 *
 *     import { createClient } from "@events/client";
 *     const client = createClient({ url: "http://127.0.0.1:8787", token });
 *     const sub = client.subscribe("events", { since: "" }); // or a saved sub.position
 *     sub.on("event", ({ stream, seq, event }) => console.log(`${stream}:${seq}`, event.event_type));
 *     client.connect();
 *
 * This entry uses the platform's `WebSocket` and `fetch`; Node resolves the package
 * to ./node.js instead, which brings `ws`.
 */
import { EventsClient, type ClientOptions } from "./client.js";
import { sseTransport } from "./transport/sse.js";
import { webSocketTransport, type WebSocketLike } from "./transport/websocket.js";

export type CreateClientOptions = Omit<ClientOptions, "webSocket" | "sse"> & {
  /** A WebSocket class to use instead of the global one. */
  readonly WebSocket?: new (url: string) => WebSocketLike;
  /** A fetch to use instead of the global one (the SSE transport). */
  readonly fetch?: typeof fetch;
};

export function createClient(options: CreateClientOptions): EventsClient {
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return new EventsClient({
    ...options,
    webSocket: WebSocketClass === undefined ? undefined : webSocketTransport((url) => new WebSocketClass(url)),
    sse: typeof fetchImpl === "function" ? sseTransport(fetchImpl) : undefined,
  });
}

export { EventsClient } from "./client.js";
export type { ClientEvents, ClientOptions, ClientState, PublishOptions, PublishResult, StateChange, StateReason } from "./client.js";
export { Subscription, DEFAULT_MAX_BUFFERED } from "./subscription.js";
export type { Delivery, SubscribeOptions, SubscriptionEvents, SubscriptionState, SubscriptionStateChange } from "./subscription.js";
export { ClientError } from "./errors.js";
export { isEnvelopeLike } from "./frames.js";
export type { ClientErrorCode } from "./errors.js";
export { Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { webSocketTransport, webSocketUrl } from "./transport/websocket.js";
export type { OpenSocket, WebSocketLike } from "./transport/websocket.js";
export { sseTransport } from "./transport/sse.js";
export { SseParser } from "./transport/sse-parser.js";
export type { SseMessage } from "./transport/sse-parser.js";
export type { OpenInfo, SubscribeRequest, Transport, TransportConfig, TransportFactory, TransportHandlers, TransportKind } from "./transport/transport.js";
