/**
 * @events/client in Node: the same client, with the `ws` package for WebSockets
 * (Node 20 has no global one; `ws` also lets the socket stop holding the process,
 * `unref: true`), and Node's `fetch` for Server-Sent Events.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import WebSocket from "ws";
import { EventsClient } from "./client.js";
import type { CreateClientOptions } from "./index.js";
import { sseTransport } from "./transport/sse.js";
import { webSocketTransport, type WebSocketLike } from "./transport/websocket.js";

export function createClient(options: CreateClientOptions): EventsClient {
  const webSocket =
    options.WebSocket === undefined
      ? webSocketTransport((url, config) => nodeSocket(url, config.unref))
      : webSocketTransport((url) => new (options.WebSocket as new (url: string) => WebSocketLike)(url));
  return new EventsClient({ ...options, webSocket, sse: sseTransport(options.fetch ?? globalThis.fetch) });
}

function nodeSocket(url: string, unref: boolean): WebSocketLike {
  const secure = url.startsWith("wss:");
  return new WebSocket(url, {
    perMessageDeflate: false,
    ...(unref
      ? {
          // The socket never holds the host process open, not even while connecting.
          createConnection: ((connectOptions: net.NetConnectOpts) => {
            const socket = secure ? tls.connect(connectOptions as tls.ConnectionOptions) : net.connect(connectOptions);
            socket.unref();
            return socket;
          }) as typeof net.createConnection,
        }
      : {}),
  }) as unknown as WebSocketLike;
}

export * from "./index.js";
