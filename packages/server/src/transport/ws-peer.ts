/**
 * One WebSocket connection as the hub keeps it: liveness (last frame or pong seen),
 * a drain signal from the raw socket, and a close that cannot hang: the close frame
 * goes out behind what is buffered, and a peer that does not finish the closing
 * handshake in time is destroyed.
 */
import type { Duplex } from "node:stream";
import type { Principal } from "../auth/principal.js";
import type { Sink } from "../broker/sink.js";

/**
 * The slice of a `ws` WebSocket the hub drives. Declared here, not imported, so the
 * published types never need `@types/ws` (a devDependency); ws's WebSocket fits it.
 */
export interface PeerSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  readonly isPaused: boolean;
  send(data: Buffer | string, options: { binary: boolean }): void;
  ping(): void;
  pause(): void;
  resume(): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

const TEXT = { binary: false } as const;

export class WsPeer {
  readonly ws: PeerSocket;
  readonly connectedAt = Date.now();
  lastSeen = this.connectedAt;
  lastPing = this.connectedAt;
  principal: Principal | undefined;
  #drainListeners: (() => void)[] | undefined;
  #closing = false;

  readonly #closeGraceMs: number;
  readonly #socket: Duplex;

  constructor(ws: PeerSocket, socket: Duplex, closeGraceMs: number) {
    this.ws = ws;
    this.#socket = socket;
    this.#closeGraceMs = closeGraceMs;
    socket.on("drain", () => {
      const listeners = this.#drainListeners;
      if (listeners !== undefined) for (const listener of listeners) listener();
    });
  }

  get closing(): boolean {
    return this.#closing || this.ws.readyState !== this.ws.OPEN;
  }

  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends a text frame; bytes already encoded are sent without a copy. */
  send(data: Buffer | string): void {
    if (this.closing) return;
    this.ws.send(data, TEXT);
  }

  /**
   * Writes a complete, pre-built WebSocket frame straight to the socket. Safe next
   * to ws's own sends: without compression ws writes each frame whole and at once.
   */
  sendFrame(frame: Buffer): void {
    if (this.closing) return;
    this.#socket.write(frame);
  }

  cork(): void {
    this.#socket.cork();
  }

  uncork(): void {
    this.#socket.uncork();
  }

  sendJson(value: unknown): void {
    this.send(JSON.stringify(value));
  }

  onDrain(listener: () => void): void {
    (this.#drainListeners ??= []).push(listener);
  }

  offDrain(listener: () => void): void {
    const listeners = this.#drainListeners;
    if (listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.ws.close(code, truncate(reason));
    } catch {
      this.ws.terminate();
      return;
    }
    setTimeout(() => this.ws.terminate(), this.#closeGraceMs).unref();
  }

  /** A sink for one subscription over this connection; closing it closes the connection. */
  sink(): WsSink {
    return new WsSink(this);
  }
}

/** One subscription's view of its connection. */
export class WsSink implements Sink {
  readonly #peer: WsPeer;
  #listener: (() => void) | undefined;

  constructor(peer: WsPeer) {
    this.#peer = peer;
  }

  /** `bytes` is a complete WebSocket frame (see PublishedEvent.wsFrame). */
  send(bytes: Buffer): void {
    this.#peer.sendFrame(bytes);
  }

  get buffered(): number {
    return this.#peer.buffered;
  }

  onDrain(listener: () => void): void {
    this.#listener = listener;
    this.#peer.onDrain(listener);
  }

  close(code: number, reason: string): void {
    this.#peer.close(code, reason);
  }

  cork(): void {
    this.#peer.cork();
  }

  uncork(): void {
    this.#peer.uncork();
  }

  /** Stops listening for drains (the subscription ended, the connection stays). */
  detach(): void {
    if (this.#listener !== undefined) this.#peer.offDrain(this.#listener);
    this.#listener = undefined;
  }
}

/** Close reasons are at most 123 bytes. */
function truncate(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : `${Buffer.from(reason).subarray(0, 120).toString("utf8")}...`;
}
