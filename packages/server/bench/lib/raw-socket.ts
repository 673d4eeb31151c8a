/**
 * Bench clients that cost almost nothing: a raw TCP connection that performs the
 * WebSocket (or SSE) handshake, then only scans received bytes for a marker (the
 * last event's id) instead of decoding frames. The servers are measured, not the
 * clients.
 */
import { connect, type Socket } from "node:net";
import { decodeIndex, INDEX_CHARS } from "./events.js";

export interface RawTarget {
  readonly port: number;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** "ws" upgrades; "sse" is a plain GET that stays open. */
  readonly kind: "ws" | "sse";
}

/** Finds a byte marker across chunk boundaries. */
export class MarkerScan {
  readonly #marker: Buffer;
  #tail: Buffer = Buffer.alloc(0);

  constructor(marker: string) {
    this.#marker = Buffer.from(marker);
  }

  /** No copy of the chunk: only the few bytes around the boundary are joined. */
  feed(chunk: Buffer): boolean {
    const keep = this.#marker.length - 1;
    if (this.#tail.length > 0) {
      const seam = Buffer.concat([this.#tail, chunk.subarray(0, keep)]);
      if (seam.indexOf(this.#marker) >= 0) return true;
    }
    if (chunk.indexOf(this.#marker) >= 0) return true;
    this.#tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - keep)));
    return false;
  }
}

const EVENT_ID = Buffer.from('"event_id":"');
/** A ULID's length: the id that follows the marker. */
const ID_LENGTH = 26;

/** The bytes an id and its marker take. */
const SPAN = EVENT_ID.length + ID_LENGTH;

/**
 * Finds the bench events of one `benchEvents` call in a byte stream, by the index
 * their ids carry (lib/events), each occurrence once, including ids split across
 * chunks: the last SPAN - 1 bytes of the stream are kept and joined with the next
 * chunk's first ones (the seam), where only ids that straddle the boundary count.
 * Ids of other calls (another prefix) are passed over. Nothing is allocated per
 * chunk or per id.
 */
export class IdScan {
  readonly #prefix: Buffer;
  readonly #seam = Buffer.alloc(2 * (SPAN - 1));
  /** How many of the stream's last bytes sit at the start of #seam. */
  #kept = 0;

  constructor(prefix: string) {
    this.#prefix = Buffer.from(prefix, "latin1");
    if (this.#prefix.length !== ID_LENGTH - INDEX_CHARS) throw new Error(`a bench id prefix has ${ID_LENGTH - INDEX_CHARS} characters`);
  }

  feed(chunk: Buffer, found: (index: number) => void): void {
    if (this.#kept > 0) {
      const joined = this.#kept + chunk.copy(this.#seam, this.#kept, 0, SPAN - 1);
      const seam = this.#seam.subarray(0, joined);
      for (let at = seam.indexOf(EVENT_ID); at >= 0 && at < this.#kept; at = seam.indexOf(EVENT_ID, at + 1)) {
        const end = at + SPAN;
        if (end > this.#kept && end <= joined) this.#id(seam, end - ID_LENGTH, found);
      }
    }
    for (let at = chunk.indexOf(EVENT_ID); at >= 0; at = chunk.indexOf(EVENT_ID, at + SPAN)) {
      if (at + SPAN > chunk.length) break;
      this.#id(chunk, at + EVENT_ID.length, found);
    }
    this.#keep(chunk);
  }

  /** The id at `start`: one of this call's when it has the prefix, then its index. */
  #id(bytes: Uint8Array, start: number, found: (index: number) => void): void {
    const prefix = this.#prefix;
    for (let offset = 0; offset < prefix.length; offset++) if (bytes[start + offset] !== prefix[offset]) return;
    const index = decodeIndex(bytes, start + prefix.length);
    if (index >= 0) found(index);
  }

  /** Keeps the stream's last SPAN - 1 bytes (a short chunk adds to what was kept). */
  #keep(chunk: Buffer): void {
    if (chunk.length >= SPAN - 1) {
      this.#kept = chunk.copy(this.#seam, 0, chunk.length - (SPAN - 1));
      return;
    }
    const drop = Math.max(0, this.#kept + chunk.length - (SPAN - 1));
    this.#seam.copy(this.#seam, 0, drop, this.#kept);
    this.#kept = this.#kept - drop + chunk.copy(this.#seam, this.#kept - drop);
  }
}

/**
 * Every raw client reads into this one buffer (net's `onread`): no Buffer is made per
 * read and no stream machinery runs, so a subscriber process that reads a thousand
 * sockets stays cheap next to the servers it measures. A chunk is only valid during
 * its callback; whatever is kept is copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RawClient {
  readonly socket: Socket;
  #listener: ((chunk: Buffer) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Connects and completes the handshake; resolves with what followed the response head. */
  static open(target: RawTarget): Promise<{ client: RawClient; rest: Buffer }> {
    return new Promise((resolve, reject) => {
      let client: RawClient | undefined;
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        const expected = target.kind === "ws" ? " 101 " : " 200 ";
        if (!status.includes(expected)) {
          socket.destroy();
          reject(new Error(`handshake failed: ${status}`));
          return;
        }
        client = new RawClient(socket);
        resolve({ client, rest: head.subarray(end + 4) });
      };
      const socket = connect({
        host: "127.0.0.1",
        port: target.port,
        onread: {
          buffer: READ_BUFFER,
          callback: (length: number, buffer: Uint8Array): boolean => {
            const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
            if (client === undefined) onHead(chunk);
            else client.#listener?.(chunk);
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      const extra = Object.entries(target.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join("");
      const upgrade = target.kind === "ws" ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" : "Accept: text/event-stream\r\n";
      socket.once("connect", () => socket.write(`GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}${extra}\r\n`));
      socket.once("error", reject);
      socket.on("error", () => undefined);
    });
  }

  /** Calls `listener` with every chunk from now on (valid only during the call: copy what you keep). */
  onData(listener: (chunk: Buffer) => void): void {
    this.#listener = listener;
  }

  /** Sends a text frame, masked with a zero key (valid, and no copy to mask). */
  sendText(text: string): void {
    const payload = Buffer.from(text);
    let header: Buffer;
    if (payload.length < 126) {
      header = Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]);
    } else if (payload.length < 65_536) {
      header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff, 0, 0, 0, 0]);
    } else {
      header = Buffer.alloc(14);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  /** Resolves when `marker` has been received (scanning from now on). */
  waitFor(marker: string, initial?: Buffer): Promise<void> {
    const scan = new MarkerScan(marker);
    return new Promise((resolve) => {
      if (initial !== undefined && scan.feed(initial)) {
        resolve();
        return;
      }
      this.onData((chunk) => {
        if (scan.feed(chunk)) {
          this.#listener = undefined;
          resolve();
        }
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
