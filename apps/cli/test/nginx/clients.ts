/**
 * Clients that see what a proxy does to the bytes: a raw SSE reader over node:http
 * that keeps comments and arrival times (a browser's EventSource hides both), and a
 * `ws` client that records frames and protocol pings. Waits are bounded
 * (`vi.waitFor`), never sleeps.
 */
import { request, type IncomingHttpHeaders } from "node:http";
import { vi } from "vitest";
import WebSocket from "ws";
import { hubFrameCodec, type HubFrame } from "@events/schema";

/** Polls `check` until it returns a value (not undefined or false), for at most `timeout` ms. */
export function until<T>(check: () => T | undefined | false, timeout = 10_000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = check();
      if (value === undefined || value === false) throw new Error("not yet");
      return value;
    },
    { timeout, interval: 5 },
  );
}

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseClient {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly events: SseEvent[] = [];
  /** Arrival time (performance.now()) of each comment line, e.g. `: keep-alive`. */
  readonly comments: { readonly text: string; readonly at: number }[] = [];
  /** Lines that are no SSE field this stream has (e.g. HTTP chunk sizes leaking into the body). */
  readonly stray: string[] = [];
  /** The response ended (the hub ended the stream, or the connection closed). */
  ended = false;
  #pending = "";
  #destroy: () => void = () => undefined;

  /** Opens the stream; resolves with the response's headers. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const sse = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (response) => {
        sse.status = response.statusCode ?? 0;
        sse.headers = response.headers;
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => sse.#feed(chunk));
        response.on("end", () => (sse.ended = true));
        response.on("close", () => (sse.ended = true));
        response.on("error", () => (sse.ended = true));
        resolve(sse);
      });
      sse.#destroy = () => req.destroy();
      req.on("error", reject);
      req.end();
    });
  }

  /** The data events (not `ready`, `end` and the other control events) with their ids. */
  get deliveries(): SseEvent[] {
    return this.events.filter((event) => !["ready", "end", "reset", "gap"].includes(event.event));
  }

  close(): void {
    this.#destroy();
  }

  #feed(chunk: string): void {
    this.#pending += chunk;
    let end = this.#pending.indexOf("\n\n");
    while (end >= 0) {
      const block = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 2);
      let id: string | undefined;
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) this.comments.push({ text: line, at: performance.now() });
        else if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (!line.startsWith("retry: ")) this.stray.push(line);
      }
      if (data.length > 0) this.events.push({ id, event, data: data.join("\n") });
      end = this.#pending.indexOf("\n\n");
    }
  }
}

export class WsClient {
  readonly ws: WebSocket;
  readonly frames: HubFrame[] = [];
  /** Raw text of every message, for channels whose frames are not HubFrames (sessions, problems). */
  readonly texts: string[] = [];
  /** Arrival time (performance.now()) of each protocol ping from the hub. */
  readonly pings: number[] = [];
  /** How the connection closed, once it has. */
  closeInfo: { readonly code: number; readonly reason: string } | undefined;

  private constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.ws.on("error", () => undefined);
    this.ws.on("ping", () => this.pings.push(performance.now()));
    this.ws.on("message", (data: Buffer) => {
      const text = data.toString();
      this.texts.push(text);
      const decoded = hubFrameCodec.decodeJson(text);
      if (decoded.ok) this.frames.push(decoded.value);
    });
    this.ws.once("close", (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
  }

  /** Connects (the upgrade goes through the proxy); rejects when the upgrade is refused. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const client = new WsClient(url, headers);
    await new Promise<void>((resolve, reject) => {
      client.ws.once("open", () => resolve());
      client.ws.once("unexpected-response", (upgrade, response) => {
        upgrade.destroy();
        reject(new Error(`upgrade refused: ${response.statusCode}`));
      });
      client.ws.once("error", reject);
    });
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Waits for a frame of `type` that matches. */
  next<T extends HubFrame["type"]>(type: T, match: (frame: Extract<HubFrame, { type: T }>) => boolean = () => true): Promise<Extract<HubFrame, { type: T }>> {
    return until(() => this.of(type).find(match));
  }

  of<T extends HubFrame["type"]>(type: T): Extract<HubFrame, { type: T }>[] {
    return this.frames.filter((frame): frame is Extract<HubFrame, { type: T }> => frame.type === type);
  }

  /** The event ids of `message` frames for subscription `sub`, in arrival order. */
  delivered(sub: string): string[] {
    return this.of("message")
      .filter((frame) => frame.sub === sub)
      .map((frame) => frame.event.event_id);
  }

  close(): void {
    this.ws.close();
  }
}
