/**
 * Bench clients that cost almost nothing: a raw TCP connection that performs the
 * WebSocket (or SSE) handshake, then only scans received bytes for a marker (the
 * last event's id) instead of decoding frames. The servers are measured, not the
 * clients.
 */
import { connect, type Socket } from "node:net";

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

export class RawClient {
  readonly socket: Socket;
  #listener: ((chunk: Buffer) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#listener?.(chunk));
    socket.on("error", () => undefined);
  }

  /** Connects and completes the handshake; resolves with what followed the response head. */
  static open(target: RawTarget): Promise<{ client: RawClient; rest: Buffer }> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: target.port });
      socket.setNoDelay(true);
      const extra = Object.entries(target.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join("");
      const upgrade = target.kind === "ws" ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" : "Accept: text/event-stream\r\n";
      socket.once("connect", () => socket.write(`GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}${extra}\r\n`));
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        const expected = target.kind === "ws" ? " 101 " : " 200 ";
        if (!status.includes(expected)) {
          socket.destroy();
          reject(new Error(`handshake failed: ${status}`));
          return;
        }
        resolve({ client: new RawClient(socket), rest: head.subarray(end + 4) });
      };
      socket.on("data", onData);
      socket.once("error", reject);
    });
  }

  /** Calls `listener` with every chunk from now on. */
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
