/**
 * One stored event on its way out. The envelope was serialised once at ingest;
 * every frame around it is built once per event, on first use, and the same bytes
 * go to every subscriber: a `message` frame per distinct subscription id (clients
 * normally reuse a fixed id, so in practice once), one SSE frame, one bare payload.
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
  #sse: Buffer | undefined;
  #sseChunk: Buffer | undefined;
  #ssePayload: Buffer | undefined;
  #ssePayloadChunk: Buffer | undefined;
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
      this.#messagePrefix ??= `{"type":"message","seq":${this.seq},"channel":${JSON.stringify(this.channel)},"event":${this.json},"sub":`;
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
    return frame;
  }

  /** The Server-Sent Events frame: `id: <seq>`, `event: <event_type>`, the envelope as data. */
  sse(): Buffer {
    // JSON text has no raw newlines, so the envelope fits one `data:` line.
    this.#sse ??= Buffer.from(`id: ${this.seq}\nevent: ${this.eventType}\ndata: ${this.json}\n\n`);
    return this.#sse;
  }

  /**
   * The SSE frame as one HTTP/1.1 chunk (`<hex length>\r\n<frame>\r\n`), written as is
   * to every SSE subscriber's socket.
   */
  sseChunk(): Buffer {
    this.#sseChunk ??= httpChunk(this.sse());
    return this.#sseChunk;
  }

  /** The SSE frame with the payload alone as data (`?data=payload`, the flat shape kube-coder's stream sends). */
  ssePayload(): Buffer {
    this.#ssePayload ??= Buffer.concat([Buffer.from(`id: ${this.seq}\nevent: ${this.eventType}\ndata: `), this.payload(), Buffer.from("\n\n")]);
    return this.#ssePayload;
  }

  /** `ssePayload()` as one HTTP/1.1 chunk, built once per event. */
  ssePayloadChunk(): Buffer {
    this.#ssePayloadChunk ??= httpChunk(this.ssePayload());
    return this.#ssePayloadChunk;
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
