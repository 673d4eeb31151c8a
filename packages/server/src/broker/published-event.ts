/**
 * One stored event on its way out. The envelope was serialised once at ingest;
 * every frame around it is built once per event, on first use, and the same bytes
 * go to every subscriber: a `message` frame per distinct subscription id (clients
 * normally reuse a fixed id, so in practice once), one SSE frame, one bare payload.
 * An SSE frame comes two ways: whole, with `id: <stream>:<seq>` (the full position
 * of a subscription that reads this one stream), or as a body without `id:` that a
 * multi-stream subscription follows with its own `id: <position>` chunk, so the
 * body is never copied per subscriber.
 */
import type { StoredEvent } from "../store/records.js";

export class PublishedEvent {
  /** The event's stream (its project uuid, or `-`). */
  readonly stream: string;
  /** The event's number in its stream. */
  readonly seq: number;
  readonly eventId: string;
  /** The envelope's Lamport clock value (0 when not known). */
  readonly lamport: number;
  readonly channel: string;
  readonly project: string | null;
  readonly eventType: string;
  /** The envelope as stored: canonical JSON text. */
  readonly json: string;
  #payload: unknown;
  #messagePrefix: string | undefined;
  #messages: Map<string, Buffer> | undefined;
  #wsFrames: Map<string, Buffer> | undefined;
  #wsSub: string | undefined;
  #wsFrame: Buffer | undefined;
  #sse: SseForms | undefined;
  #ssePayload: SseForms | undefined;
  #payloadBytes: Buffer | undefined;

  constructor(stored: StoredEvent, payload?: unknown) {
    this.stream = stored.stream;
    this.seq = stored.seq;
    this.eventId = stored.eventId;
    this.lamport = stored.lamport ?? 0;
    this.channel = stored.channel;
    this.project = stored.project;
    this.eventType = stored.eventType;
    this.json = stored.json;
    this.#payload = payload;
  }

  /**
   * The `message` frame for subscription `sub`. The `sub` member goes last, so the
   * prefix (with the envelope) is built once and only the tail differs per id.
   */
  message(sub: string): Buffer {
    let frames = this.#messages;
    if (frames === undefined) {
      frames = new Map();
      this.#messages = frames;
    }
    let frame = frames.get(sub);
    if (frame === undefined) {
      this.#messagePrefix ??= `{"type":"message","stream":${JSON.stringify(this.stream)},"seq":${this.seq},"channel":${JSON.stringify(this.channel)},"event":${this.json},"sub":`;
      frame = Buffer.from(`${this.#messagePrefix}${JSON.stringify(sub)}}`);
      frames.set(sub, frame);
    }
    return frame;
  }

  /**
   * The `message` frame for `sub` as a complete WebSocket frame (header and payload),
   * built once per event and written to every subscriber's socket as is.
   */
  wsFrame(sub: string): Buffer {
    // Asked once per subscriber, nearly always with the same id: that one is kept at hand.
    if (sub === this.#wsSub) return this.#wsFrame!;
    let frames = this.#wsFrames;
    if (frames === undefined) {
      frames = new Map();
      this.#wsFrames = frames;
    }
    let frame = frames.get(sub);
    if (frame === undefined) {
      frame = textFrame(this.message(sub));
      frames.set(sub, frame);
    }
    this.#wsSub = sub;
    this.#wsFrame = frame;
    return frame;
  }

  /**
   * The Server-Sent Events frame (`event: <event_type>`, the envelope as data) in one
   * of its forms: with `id: <stream>:<seq>` or without `id:`, chunked or not.
   */
  sse(form: SseForm): Buffer {
    // JSON text has no raw newlines, so the envelope fits one `data:` line.
    this.#sse ??= new SseForms(this, Buffer.from(this.json));
    return this.#sse.get(form);
  }

  /** `sse()` with the payload alone as data (`?data=payload`, the flat shape kube-coder's stream sends). */
  ssePayload(form: SseForm): Buffer {
    this.#ssePayload ??= new SseForms(this, this.payload());
    return this.#ssePayload.get(form);
  }

  /** The envelope's payload alone (a session channel sends its frames bare). */
  payload(): Buffer {
    if (this.#payloadBytes === undefined) {
      const payload = this.#payload ?? (JSON.parse(this.json) as { payload: unknown }).payload;
      this.#payloadBytes = Buffer.from(JSON.stringify(payload));
    }
    return this.#payloadBytes;
  }

  /** The parsed payload (parsed from the stored text when the event came from the store). */
  parsedPayload(): unknown {
    this.#payload ??= (JSON.parse(this.json) as { payload: unknown }).payload;
    return this.#payload;
  }
}

/** Which bytes of an SSE frame: `id: <stream>:<seq>` or none; an HTTP/1.1 chunk or bare. */
export interface SseForm {
  readonly id: boolean;
  readonly chunked: boolean;
}

/** The four forms of one SSE frame, each built on first use and kept. */
class SseForms {
  readonly #event: PublishedEvent;
  readonly #data: Buffer;
  #forms: (Buffer | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(event: PublishedEvent, data: Buffer) {
    this.#event = event;
    this.#data = data;
  }

  get(form: SseForm): Buffer {
    const index = (form.id ? 1 : 0) + (form.chunked ? 2 : 0);
    let bytes = this.#forms[index];
    if (bytes === undefined) {
      if (form.chunked) {
        bytes = httpChunk(this.get({ id: form.id, chunked: false }));
      } else {
        const { stream, seq, eventType } = this.#event;
        // Without `id:` the block stays open: the subscriber's `id: <position>\n\n` ends it.
        const head = form.id ? `id: ${stream}:${seq}\nevent: ${eventType}\ndata: ` : `event: ${eventType}\ndata: `;
        bytes = Buffer.concat([Buffer.from(head), this.#data, form.id ? BLANK_LINE : NEWLINE]);
      }
      this.#forms[index] = bytes;
    }
    return bytes;
  }
}

/**
 * An unmasked, unfragmented WebSocket text frame (RFC 6455 5.2), as a server sends
 * it: FIN + opcode 1, then the payload length in 7, 16 or 64 bits.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** One chunk of a chunked HTTP/1.1 body (RFC 9112 7.1). */
export function httpChunk(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, CRLF]);
}

const CRLF = Buffer.from("\r\n");
const NEWLINE = Buffer.from("\n");
const BLANK_LINE = Buffer.from("\n\n");
