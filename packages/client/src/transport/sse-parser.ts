/**
 * The `text/event-stream` format, read incrementally (WHATWG HTML, "Server-sent
 * events"): lines end in LF, CR or CRLF; `field: value` lines build an event; a
 * blank line dispatches it; lines starting with `:` are comments (the hub's
 * heartbeats). Only what the hub sends is kept: `id`, `event`, `data`.
 */

export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  #buffer = "";
  #id: string | undefined;
  #event = "";
  #data: string[] = [];
  readonly #onMessage: (message: SseMessage) => void;

  constructor(onMessage: (message: SseMessage) => void) {
    this.#onMessage = onMessage;
  }

  /** Takes the next decoded text of the stream. */
  push(text: string): void {
    const buffer = this.#buffer + text;
    let start = 0;
    for (;;) {
      const newline = nextLineEnd(buffer, start);
      if (newline === -1) break;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (buffer[newline] === "\r" && newline === buffer.length - 1) break;
      this.#line(buffer.slice(start, newline));
      start = buffer[newline] === "\r" && buffer[newline + 1] === "\n" ? newline + 2 : newline + 1;
    }
    this.#buffer = buffer.slice(start);
  }

  #line(line: string): void {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\u0000")) this.#id = value;
  }

  #dispatch(): void {
    if (this.#data.length > 0) this.#onMessage({ id: this.#id, event: this.#event === "" ? "message" : this.#event, data: this.#data.join("\n") });
    this.#data = [];
    this.#event = "";
    // The client keeps positions itself: an id belongs to the event it came with.
    this.#id = undefined;
  }
}

function nextLineEnd(text: string, from: number): number {
  const lf = text.indexOf("\n", from);
  const cr = text.indexOf("\r", from);
  if (cr === -1) return lf;
  if (lf === -1) return cr;
  return Math.min(cr, lf);
}
