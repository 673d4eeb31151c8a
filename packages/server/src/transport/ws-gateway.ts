/**
 * Takes HTTP upgrades and routes them to the hub's WebSocket endpoints; owns every
 * open connection's liveness. One timer (the hub's sweep) pings every peer each
 * `heartbeatMs` and closes with 4408 a peer silent for `pingTimeoutMs`, and with
 * 4401 one still unauthenticated after `helloTimeoutMs`: no timer per connection.
 * An upgrade it refuses is answered with an ErrorResponse: 404 for an unknown path,
 * 400 for a query an endpoint cannot take, 503 while shutting down.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { CLOSE_CODES, type ErrorResponse, type Issue, type Position } from "@events/schema";
import { WebSocketServer, type WebSocket } from "ws";
import { fromRequest, learnCredentials } from "../auth/authenticate.js";
import type { Subscriber } from "../broker/subscriber.js";
import type { HubCore } from "../core/hub-core.js";
import { ticketOf } from "./http-auth.js";
import { errorBody, rawErrorResponse } from "./http-errors.js";
import { parseSince } from "./position-param.js";
import { openProblemsChannel, openSessionChannel } from "./ws-channels.js";
import { WsProtocolConnection } from "./ws.js";
import { WsPeer } from "./ws-peer.js";

const SESSION_PATH = /^\/api\/v1\/sessions\/([^/]{1,256})\/events$/;

export class WsGateway {
  readonly #core: HubCore;
  readonly #server: WebSocketServer;
  readonly #peers = new Set<WsPeer>();
  #closing = false;

  constructor(core: HubCore) {
    this.#core = core;
    this.#server = new WebSocketServer({
      noServer: true,
      // The protocol answers frames over max_frame_bytes itself (error frame, then 1009);
      // past twice the limit ws refuses them while reading, so memory stays bounded.
      maxPayload: core.options.limits.max_frame_bytes * 2,
      perMessageDeflate: false,
      clientTracking: false,
    });
    core.tokens.onRevoke((id) => {
      for (const peer of this.#peers) {
        const principal = peer.principal;
        if (principal?.kind === "project" && principal.tokenId === id) peer.close(CLOSE_CODES.unauthenticated, "token revoked");
      }
    });
  }

  get size(): number {
    return this.#peers.size;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = routeOf(request.url ?? "/");
    if (route === undefined) {
      refuse(socket, 404, errorBody("not_found", "no WebSocket endpoint here: /api/v1/ws, /api/v1/sessions/{id}/events, /api/v1/problems/events"));
      return;
    }
    if (route.kind === "refused") {
      refuse(socket, 400, errorBody("bad_request", route.message, { issues: route.issues }));
      return;
    }
    if (this.#closing) {
      refuse(socket, 503, errorBody("unavailable", "the hub is shutting down; connect again later"));
      return;
    }
    socket.on("error", () => socket.destroy());
    const upgrade = (): void => this.#server.handleUpgrade(request, socket, head, (ws) => this.#accept({ ws, socket, request, route }));
    if (this.#core.cluster === undefined) {
      upgrade();
      return;
    }
    // A token made on another node is looked up in the store first.
    void learnCredentials(this.#core, { headers: request.headers, ticket: ticketOf(request.url ?? "") }).then(() => {
      if (!socket.destroyed) upgrade();
    });
  }

  /** Pings, and closes dead or unauthenticated peers; called by the hub's sweep timer. */
  sweep(now: number): void {
    const { heartbeatMs, pingTimeoutMs, helloTimeoutMs } = this.#core.options;
    for (const peer of this.#peers) {
      if (peer.closing) continue;
      if (now - peer.lastSeen > pingTimeoutMs) {
        peer.close(CLOSE_CODES.pingTimeout, `no pong within ${pingTimeoutMs} ms`);
      } else if (peer.principal === undefined && now - peer.connectedAt > helloTimeoutMs) {
        peer.close(CLOSE_CODES.unauthenticated, "no hello with a token in time");
      } else if (now - peer.lastPing >= heartbeatMs) {
        peer.lastPing = now;
        peer.ws.ping();
      }
    }
  }

  /** Refuses new upgrades (503) from now on. */
  stopAccepting(): void {
    this.#closing = true;
  }

  /** Stops taking upgrades and closes every connection with `code` (1001 at shutdown). */
  closeAll(code: number, reason: string): void {
    this.#closing = true;
    for (const peer of this.#peers) peer.close(code, reason);
  }

  /** Resolves when every connection is gone. */
  async closed(): Promise<void> {
    while (this.#peers.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    this.#server.close();
  }

  #accept(input: { ws: WebSocket; socket: Duplex; request: IncomingMessage; route: Endpoint }): void {
    const { ws, socket, request, route } = input;
    const core = this.#core;
    const peer = new WsPeer(ws, socket, core.options.closeGraceMs);
    this.#peers.add(peer);
    core.connections.ws++;
    const credentials = fromRequest({ tokens: core.tokens, tickets: core.tickets }, { headers: request.headers, ticket: ticketOf(request.url ?? "") });
    let onMessage: ((data: Buffer) => void) | undefined;
    let onClose: (() => void) | undefined;
    if (route.kind === "protocol") {
      const connection = new WsProtocolConnection(core, peer, credentials);
      onMessage = (data) => connection.onMessage(data);
      onClose = () => connection.onClose();
    } else if (credentials.kind !== "valid") {
      peer.close(CLOSE_CODES.unauthenticated, credentials.kind === "none" ? "send Authorization: Bearer <token> or ?ticket=" : credentials.message);
    } else {
      peer.principal = credentials.principal;
      const subscriber = this.#openChannel(peer, route, credentials.principal);
      onClose = () => void subscriber.then((opened) => opened?.detach());
    }
    ws.on("message", (data: Buffer) => {
      peer.lastSeen = Date.now();
      if (peer.closing) return; // closed for a reason already; later frames are not acted on
      try {
        onMessage?.(data);
      } catch (error) {
        // A bug in handling one frame must not take the process (or this connection's reader) down.
        core.logger.error("handling a WebSocket frame failed", { error });
        peer.sendJson({ type: "error", code: "internal", message: "the hub failed on this frame" });
      }
    });
    ws.on("pong", () => {
      peer.lastSeen = Date.now();
    });
    ws.on("error", (error) => core.logger.debug("websocket error", { error }));
    ws.on("close", () => {
      this.#peers.delete(peer);
      core.connections.ws--;
      onClose?.();
    });
  }

  #openChannel(peer: WsPeer, route: Exclude<Endpoint, { kind: "protocol" }>, principal: NonNullable<WsPeer["principal"]>): Promise<Subscriber | undefined> {
    if (route.kind === "problems") {
      return Promise.resolve(openProblemsChannel(this.#core, peer, { principal, project: route.project }));
    }
    return openSessionChannel(this.#core, peer, { principal, sessionId: route.sessionId, since: route.since }).catch((error: unknown) => {
      this.#core.logger.error("opening a session channel failed", { error });
      peer.close(CLOSE_CODES.internalError, "could not open the session; reconnect with backoff");
      return undefined;
    });
  }
}

type Endpoint =
  | { readonly kind: "protocol" }
  | { readonly kind: "session"; readonly sessionId: string; readonly since: Position | number | undefined }
  | { readonly kind: "problems"; readonly project: string | undefined };

/** An endpoint, or a known one asked for with a query it cannot take (HTTP 400). */
type Route = Endpoint | { readonly kind: "refused"; readonly message: string; readonly issues: readonly Issue[] };

function routeOf(url: string): Route | undefined {
  const [path = "", query = ""] = url.split("?", 2);
  if (path === "/api/v1/ws") return { kind: "protocol" };
  const params = new URLSearchParams(query);
  if (path === "/api/v1/problems/events") return { kind: "problems", project: params.get("project") ?? undefined };
  const session = SESSION_PATH.exec(path);
  if (session === null) return undefined;
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(session[1]!);
  } catch {
    return undefined;
  }
  const since = params.get("since");
  if (since === null) return { kind: "session", sessionId, since: undefined };
  const parsed = parseSince("since", since);
  return parsed.ok ? { kind: "session", sessionId, since: parsed.value } : { kind: "refused", message: parsed.message, issues: parsed.issues };
}

function refuse(socket: Duplex, status: number, body: ErrorResponse): void {
  socket.end(rawErrorResponse(status, body));
}
