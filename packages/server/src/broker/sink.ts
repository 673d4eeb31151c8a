/**
 * Where a subscriber's frames go: a WebSocket or an SSE response. The broker sees
 * only this: how much the socket holds unsent, a drain signal, and a way to close.
 */
import type { PublishedBatch } from "./published-batch.js";
import type { PublishedEvent } from "./published-event.js";
import type { StreamPosition } from "./stream-position.js";

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
  /**
   * The event's frame, given the subscriber's position after it: bytes shared by
   * every subscriber of its kind, never copied per subscriber.
   */
  readonly event: (event: PublishedEvent, position: StreamPosition) => Buffer;
  /**
   * Every event's frame of a batch, joined: what `event` gives for each in turn,
   * shared by every subscriber of its kind. Absent when frames depend on more than
   * the event (the subscriber's position); such a subscriber frames event by event.
   */
  readonly batch?: (batch: PublishedBatch) => Buffer;
  /**
   * This subscriber's own bytes after each event's frame, given its position after
   * the event (SSE's `id: <position>` of a subscription that has seen several
   * streams); absent, or undefined for that event, when the shared frame is complete.
   */
  readonly position?: (position: StreamPosition) => Buffer | undefined;
  /**
   * A gap signal (events of `stream` after `fromSeq` up to `toSeq` were dropped);
   * absent when the transport has none, and a subscriber that falls behind is
   * closed instead.
   */
  readonly gap?: (stream: string, fromSeq: number, toSeq: number) => Buffer;
}
