/**
 * @events/client in Node: the same client, with the `ws` package for WebSockets
 * (Node 20 has no global one; `ws` also lets the socket stop holding the process,
 * `unref: true`), and Node's `fetch` for Server-Sent Events. `ws`, `net` and `tls`
 * are loaded when the first socket opens, so importing the client costs a command
 * that never connects nothing more.
 */
import { createRequire } from "node:module";
import type * as net from "node:net";
import type * as tls from "node:tls";
import type WebSocketClass from "ws";
// Only through the browser entry, so the build can keep it one module that both share.
import { EventsClient, sseTransport, webSocketTransport, type CreateClientOptions, type WebSocketLike } from "./index.js";

const require = createRequire(import.meta.url);

export function createClient(options: CreateClientOptions): EventsClient {
  const webSocket =
    options.WebSocket === undefined
      ? webSocketTransport((url, config) => nodeSocket(url, config.unref))
      : webSocketTransport((url) => new (options.WebSocket as new (url: string) => WebSocketLike)(url));
  return new EventsClient({ ...options, webSocket, sse: sseTransport(options.fetch ?? globalThis.fetch) });
}

function nodeSocket(url: string, unref: boolean): WebSocketLike {
  const WebSocket = require("ws") as typeof WebSocketClass;
  const secure = url.startsWith("wss:");
  return new WebSocket(url, {
    perMessageDeflate: false,
    ...(unref
      ? {
          // The socket never holds the host process open, not even while connecting.
          createConnection: ((connectOptions: net.NetConnectOpts) => {
            const socket = secure ? (require("node:tls") as typeof tls).connect(connectOptions as tls.ConnectionOptions) : (require("node:net") as typeof net).connect(connectOptions);
            socket.unref();
            return socket;
          }) as typeof net.createConnection,
        }
      : {}),
  }) as unknown as WebSocketLike;
}

export * from "./index.js";
