/**
 * `GET /api/events`: Server-Sent Events. `ready` first, then one frame per event
 * (`event: <event_type>`, the envelope as `data`, and `id:` the subscription's full
 * position token after the event), `retry:`, heartbeat comments, and an `end` event
 * when the stream's lifetime cap is reached (or the hub shuts down, or the client
 * fell behind), after which the client reconnects with `Last-Event-ID` and resumes.
 * Filters: `?channel=`, `?project=`; resume: `Last-Event-ID` (wins) or `?since=`,
 * a position token or a protocol-1 seq. A position the hub cannot serve gets one
 * explicit `reset` event; dropped frames a `gap` event per stream. While a
 * subscription's position names one stream (always, for one project's events) it
 * gets each event's pre-built frame with `id: <stream>:<seq>`, which is its whole
 * position; once it has seen several, the pre-built frame without `id:` and then its
 * own `id: <position>` chunk (shared with the subscriber before it when the position
 * is the same). `?data=payload` sends each
 * event's payload alone as `data` (the flat frames of kube-coder's stream) instead of
 * the envelope. The control events' names and data are @events/schema's (`SSE_EVENTS`,
 * `SseReadyData`, ...), so what is written here cannot drift from what clients decode.
 */
import type { ServerResponse } from "node:http";
import {
  CLOSE_CODES,
  SSE_EVENTS,
  receivedText,
  type SseControlData,
  type SseEndData,
  type SseEndReason,
  type SseGapData,
  type SseReadyData,
  type SseResetData,
  type SseEventName,
  type Issue,
} from "@events/schema";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { httpChunk, type PublishedEvent } from "../broker/published-event.js";
import type { Framer, Sink } from "../broker/sink.js";
import type { Subscriber } from "../broker/subscriber.js";
import type { HubCore } from "../core/hub-core.js";
import { subscriptionAccess } from "../core/subscription-access.js";
import { authorise } from "./http-auth.js";
import { errorBody } from "./http-errors.js";
import { parseSince } from "./position-param.js";
import type { Since } from "../core/resume.js";

const HEARTBEAT = Buffer.from(": keep-alive\n\n");

interface Stream {
  readonly response: ServerResponse;
  readonly startedAt: number;
  lastHeartbeat: number;
  subscriber: Subscriber | undefined;
  /** The project token the stream was opened with (directly or through a ticket). */
  readonly tokenId: string | undefined;
}

/** `end.reason` by close code; any other code is `closed`. */
const END_REASONS: Readonly<Record<number, SseEndReason>> = {
  [CLOSE_CODES.normal]: "lifetime",
  [CLOSE_CODES.goingAway]: "shutdown",
  [CLOSE_CODES.slowConsumer]: "slow_consumer",
  [CLOSE_CODES.internalError]: "error",
  [CLOSE_CODES.unauthenticated]: "revoked",
};

export class SseStreams {
  readonly #core: HubCore;
  readonly #streams = new Set<Stream>();
  #closing = false;

  constructor(core: HubCore) {
    this.#core = core;
    // A revoked token stops reading at once: its open streams end with `end` {reason: "revoked"}.
    core.tokens.onRevoke((id) => {
      for (const stream of this.#streams) {
        if (stream.tokenId === id) stream.subscriber?.close(CLOSE_CODES.unauthenticated, "token revoked");
      }
    });
  }

  get size(): number {
    return this.#streams.size;
  }

  route(app: FastifyInstance): void {
    app.get("/api/events", async (request, reply) => {
      if (this.#closing) return reply.code(503).send(errorBody("unavailable", "the hub is shutting down"));
      const principal = authorise({ core: this.#core, request, reply }, { scope: "read", allowTicket: true });
      if (principal === undefined) return reply;
      const query = parseQuery(request);
      if ("refused" in query) return reply.code(400).send(errorBody("bad_request", query.refused, query.issues === undefined ? {} : { issues: query.issues }));
      const access = subscriptionAccess(principal, query);
      if (!access.ok) return reply.code(access.code === "forbidden" ? 403 : 400).send(errorBody(access.code, access.message));
      reply.hijack();
      const tokenId = principal.kind === "project" ? principal.tokenId : undefined;
      // An HTTP/1.0 client (nginx's default toward upstreams) gets no chunked encoding:
      // frames go to its socket as they are, and the connection ends the body.
      const chunked = request.raw.httpVersion !== "1.0";
      this.#open(reply.raw, { channel: query.channel, project: access.project, since: query.since, tokenId, payloadOnly: query.payloadOnly, chunked });
      return reply;
    });
  }

  /** Heartbeats and lifetime caps; called by the hub's sweep timer. */
  sweep(now: number): void {
    const { heartbeatMs, sseMaxLifetimeMs } = this.#core.options;
    for (const stream of this.#streams) {
      if (now - stream.startedAt >= sseMaxLifetimeMs) {
        stream.subscriber?.close(CLOSE_CODES.normal, "lifetime");
      } else if (now - stream.lastHeartbeat >= heartbeatMs) {
        stream.lastHeartbeat = now;
        if (stream.response.writableLength === 0) stream.response.write(HEARTBEAT);
      }
    }
  }

  /** Ends every stream with an `end` event (reason `shutdown` for 1001). */
  closeAll(code: number, reason: string): void {
    this.#closing = true;
    for (const stream of this.#streams) {
      if (stream.subscriber !== undefined) stream.subscriber.close(code, reason);
      else endStream(stream.response, { code, reason, closeGraceMs: this.#core.options.closeGraceMs });
    }
  }

  async closed(): Promise<void> {
    while (this.#streams.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  #open(
    response: ServerResponse,
    query: { channel: string | undefined; project: string | undefined; since: Since; tokenId: string | undefined; payloadOnly: boolean; chunked: boolean },
  ): void {
    const core = this.#core;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store, must-revalidate",
      "x-accel-buffering": "no",
    });
    response.socket?.setNoDelay(true);
    const now = Date.now();
    const stream: Stream = { response, startedAt: now, lastHeartbeat: now, subscriber: undefined, tokenId: query.tokenId };
    this.#streams.add(stream);
    core.connections.sse++;
    response.on("close", () => {
      this.#streams.delete(stream);
      core.connections.sse--;
      stream.subscriber?.detach();
    });
    response.on("error", () => response.destroy());
    stream.subscriber = core.openStream({
      filter: { channel: query.channel, project: query.project },
      framer: sseFramer(query),
      sink: responseSink(response, core.options.closeGraceMs),
      since: query.since,
      opened: ({ position, reset }) => {
        const ready = { position, heartbeat_ms: core.options.heartbeatMs } satisfies SseReadyData;
        let head = `retry: ${core.options.sseRetryMs}\n${control(SSE_EVENTS.ready, ready)}`;
        if (reset !== undefined) {
          // `id:` moves the client's Last-Event-ID to where delivery continues. An empty
          // id would clear it (a browser then reconnects live only), so the start of
          // everything goes as `0`, the protocol-1 seq that means the same.
          const data = { reason: reset.reason, streams: [...reset.streams], position, message: reset.message } satisfies SseResetData;
          head += `id: ${position === "" ? "0" : position}\n${control(SSE_EVENTS.reset, data)}`;
        }
        response.write(head);
      },
    });
  }
}

/**
 * The frames of one stream: each event's as built once for every subscriber of its
 * kind (envelope or payload, chunked or not, with `id:` or without), plus, once a
 * subscription has seen several streams, its own `id: <position>` after each.
 */
function sseFramer(query: { project: string | undefined; payloadOnly: boolean; chunked: boolean }): Framer {
  const { chunked } = query;
  // While a position names one stream (always, for one project's events), the
  // event's `<stream>:<seq>` is the whole position: the shared frame with `id:` serves.
  const whole = { id: true, chunked };
  const open = { id: false, chunked };
  const frame = (bytes: Buffer): Buffer => (chunked ? httpChunk(bytes) : bytes);
  return {
    event: query.payloadOnly
      ? (event: PublishedEvent, position) => event.ssePayload(position.size === 1 ? whole : open)
      : (event: PublishedEvent, position) => event.sse(position.size === 1 ? whole : open),
    position: (position) => (position.size === 1 ? undefined : idChunk(position.token(), chunked)),
    gap: (stream, fromSeq, toSeq) => frame(Buffer.from(control(SSE_EVENTS.gap, { stream, from_seq: fromSeq, to_seq: toSeq, reason: "slow_consumer" } satisfies SseGapData))),
  };
}

/** The last `id:` chunk built: subscribers that read the same streams from the same start share it, one after another in a fan-out. */
let lastId: { readonly token: string; readonly chunked: boolean; readonly bytes: Buffer } | undefined;

/** A multi-stream subscriber's `id: <position>` line that ends an event's block: one allocation (a token is ASCII), or none when the previous subscriber had the same. */
function idChunk(token: string, chunked: boolean): Buffer {
  if (lastId !== undefined && lastId.chunked === chunked && lastId.token === token) return lastId.bytes;
  const line = `id: ${token}\n\n`;
  const bytes = Buffer.from(chunked ? `${line.length.toString(16)}\r\n${line}\r\n` : line, "latin1");
  lastId = { token, chunked, bytes };
  return bytes;
}

/**
 * Frames go to the response's socket as pre-built HTTP chunks (one write per
 * delivery, the same bytes for every subscriber); control events (`ready`, `reset`,
 * heartbeats, `end`) go through the response itself. Both land on one socket in
 * order: the headers went out with `ready`, before any frame.
 */
function responseSink(response: ServerResponse, closeGraceMs: number): Sink {
  const socket = response.socket;
  return {
    send: (bytes) => {
      if (socket !== null && !response.writableEnded && !socket.destroyed) socket.write(bytes);
    },
    get buffered() {
      return response.writableLength;
    },
    onDrain: (listener) => socket?.on("drain", listener),
    cork: () => socket?.cork(),
    uncork: () => socket?.uncork(),
    close: (code, reason) => endStream(response, { code, reason, closeGraceMs }),
  };
}

function endStream(response: ServerResponse, why: { code: number; reason: string; closeGraceMs: number }): void {
  if (response.writableEnded || response.destroyed) return;
  const end = { reason: END_REASONS[why.code] ?? "closed", code: why.code, message: why.reason } satisfies SseEndData;
  response.end(control(SSE_EVENTS.end, end));
  setTimeout(() => response.destroy(), why.closeGraceMs).unref();
}

/** A control event: its name and its data, typed by @events/schema for that name. */
function control<Name extends SseEventName>(event: Name, data: SseControlData[Name]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface SseQuery {
  channel: string | undefined;
  project: string | undefined;
  since: Since;
  /** `?data=payload`: each event's payload alone as data; `envelope` (the default) sends the whole event. */
  payloadOnly: boolean;
}

interface Refused {
  readonly refused: string;
  readonly issues?: readonly Issue[];
}

function parseQuery(request: FastifyRequest): SseQuery | Refused {
  const query = request.query as Record<string, unknown>;
  const channel = single(query["channel"]);
  const project = single(query["project"]);
  const data = single(query["data"]);
  if (data !== undefined && data !== "envelope" && data !== "payload") return { refused: `data: expected envelope or payload, received ${receivedText(data)}` };
  const payloadOnly = data === "payload";
  if (channel !== undefined && (channel.length === 0 || channel.length > 256)) return { refused: "channel: expected 1 to 256 characters" };
  if (project !== undefined && (project.length === 0 || project.length > 256)) return { refused: "project: expected 1 to 256 characters" };
  const header = request.headers["last-event-id"];
  const byHeader = typeof header === "string" && header !== "";
  const position = byHeader ? header : single(query["since"]);
  if (position === undefined) return { channel, project, since: undefined, payloadOnly };
  const since = parseSince(byHeader ? "Last-Event-ID" : "since", position);
  return since.ok ? { channel, project, since: since.value, payloadOnly } : { refused: since.message, issues: since.issues };
}

function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return single(value[0]);
  return typeof value === "string" ? value : undefined;
}
