/**
 * One stored event on its way out. The envelope was serialised once at ingest;
 * every frame around it is built once per event, on first use, and the same bytes
 * go to every subscriber: a `message` frame per distinct subscription id (clients
 * normally reuse a fixed id, so in practice once), one SSE frame, one bare payload.
 */
import type { StoredEvent } from "../store/records.js";

export class PublishedEvent {
  readonly seq: number;
  readonly channel: string;
  readonly project: string | null;
  readonly eventType: string;
  /** The envelope as stored: canonical JSON text. */
  readonly json: string;
  #payload: unknown;
  #messagePrefix: string | undefined;
  #messages: Map<string, Buffer> | undefined;
  #sse: Buffer | undefined;
  #payloadBytes: Buffer | undefined;

  constructor(stored: StoredEvent, payload?: unknown) {
    this.seq = stored.seq;
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

  /** The Server-Sent Events frame: `id: <seq>`, `event: <event_type>`, the envelope as data. */
  sse(): Buffer {
    // JSON text has no raw newlines, so the envelope fits one `data:` line.
    this.#sse ??= Buffer.from(`id: ${this.seq}\nevent: ${this.eventType}\ndata: ${this.json}\n\n`);
    return this.#sse;
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
