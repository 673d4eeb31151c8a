/**
 * Where a subscriber's frames go: a WebSocket or an SSE response. The broker sees
 * only this: how much the socket holds unsent, a drain signal, and a way to close.
 */
import type { PublishedEvent } from "./published-event.js";

export interface Sink {
  /** Hands bytes to the socket; never throws. */
  send(bytes: Buffer): void;
  /** Bytes handed to the socket and not yet written to the kernel. */
  readonly buffered: number;
  /** Calls `listener` whenever the socket has written out what it held. */
  onDrain(listener: () => void): void;
  /** Closes with a reason the client can act on (a WebSocket code, an SSE `end`). */
  close(code: number, reason: string): void;
  /** Holds writes until `uncork`, so a batch of frames leaves in one system call. */
  cork?(): void;
  uncork?(): void;
}

/** Builds the transport's frames for one subscriber. */
export interface Framer {
  readonly event: (event: PublishedEvent) => Buffer;
  /**
   * A gap signal (events after `fromSeq` up to `toSeq` were dropped); absent when
   * the transport has none, and a subscriber that falls behind is closed instead.
   */
  readonly gap?: (fromSeq: number, toSeq: number) => Buffer;
}
