/**
 * Two SSE clients for tests: a raw one over node:http that keeps every line
 * (headers, `retry:`, comments), and the `eventsource` package (what browsers do,
 * including reconnecting with Last-Event-ID), with headers added through its fetch.
 */
import { request, type IncomingHttpHeaders } from "node:http";
import { EventSource } from "eventsource";
import { vi } from "vitest";
import { EVENT_TYPES } from "@events/schema";

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class RawSse {
  status = 0;
  headers: IncomingHttpHeaders = {};
  text = "";
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  ended = false;
  #pending = "";
  #destroy: () => void = () => undefined;
  #socket: { pause(): void; resume(): void } | undefined;

  static open(url: string, headers: Record<string, string> = {}): Promise<RawSse> {
    const sse = new RawSse();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (response) => {
        sse.#socket = response;
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

  #feed(chunk: string): void {
    this.text += chunk;
    this.#pending += chunk;
    let end = this.#pending.indexOf("\n\n");
    while (end >= 0) {
      const block = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 2);
      let id: string | undefined;
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) this.comments.push(line);
        else if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (line.startsWith("retry: ")) this.retry = Number(line.slice(7));
      }
      if (data.length > 0) this.events.push({ id, event, data: data.join("\n") });
      end = this.#pending.indexOf("\n\n");
    }
  }

  async waitFor<T>(check: () => T | undefined | false, timeout = 10_000): Promise<T> {
    return vi.waitFor(
      () => {
        const value = check();
        if (value === undefined || value === false) throw new Error("not yet");
        return value;
      },
      { timeout, interval: 5 },
    );
  }

  named(event: string): SseEvent[] {
    return this.events.filter((item) => item.event === event);
  }

  /** Stops reading (the socket's buffers fill up, as with a stalled client). */
  pause(): void {
    this.#socket?.pause();
  }

  resume(): void {
    this.#socket?.resume();
  }

  close(): void {
    this.#destroy();
  }
}

/** The `eventsource` package with an Authorization header; records every named event. */
export function eventSource(url: string, token: string): { source: EventSource; events: SseEvent[] } {
  const events: SseEvent[] = [];
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } }),
  });
  for (const type of [...EVENT_TYPES, "ready", "reset", "gap", "end"]) {
    source.addEventListener(type, (message) => events.push({ id: message.lastEventId || undefined, event: type, data: message.data as string }));
  }
  return { source, events };
}
