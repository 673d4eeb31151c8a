/**
 * Clients of a test cluster, as an application would run them: producers that send
 * a frame again elsewhere (or later) when it was not acked, and subscribers that
 * resume on another node from their per-stream position when cut off. They record
 * everything, so a test can say exactly what was missed or seen twice. No vitest
 * imports, so the bench uses them too.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { formatPosition, type Envelope, type EventResult } from "@events/schema";
import { ADMIN } from "./harness.js";

/** `count` projects (streams of their own). */
export function projects(count: number): string[] {
  return Array.from({ length: count }, () => randomUUID());
}

/** Sets each envelope's project, round robin over `projects` (null: the stream of events without a project). */
export function spread(events: readonly Envelope[], over: readonly (string | null)[]): Envelope[] {
  return events.map((event, index) => ({ ...event, project_uuid: over[index % over.length] ?? null, project_slug: null }));
}

/** A WebSocket producer on one node: publish frames, each answered by its ack (or a rejection naming the error frame, or the drop). */
export class Producer {
  readonly #ws: WebSocket;
  readonly #waiting = new Map<string, { resolve: (results: EventResult[]) => void; reject: (error: Error) => void }>();
  #refs = 0;
  readonly opened: Promise<void>;

  constructor(wsUrl: string, token = ADMIN) {
    this.#ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.#ws.once("open", () => resolve());
      this.#ws.once("error", reject);
    });
    this.#ws.on("error", () => undefined);
    this.#ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; ref?: string; results?: EventResult[]; code?: string; message?: string };
      if (frame.ref === undefined) return;
      const waiter = this.#waiting.get(frame.ref);
      if (waiter === undefined) return;
      this.#waiting.delete(frame.ref);
      if (frame.type === "ack") waiter.resolve(frame.results ?? []);
      else waiter.reject(new Error(`${frame.type} ${frame.code ?? ""}: ${frame.message ?? ""}`));
    });
    this.#ws.on("close", () => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error("connection closed before the ack"));
      this.#waiting.clear();
    });
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  publish(events: readonly Envelope[]): Promise<EventResult[]> {
    if (!this.open) return Promise.reject(new Error("not connected"));
    const ref = `p${++this.#refs}`;
    return new Promise((resolve, reject) => {
      this.#waiting.set(ref, { resolve, reject });
      this.#ws.send(JSON.stringify({ type: "publish", ref, events }));
    });
  }

  close(): void {
    this.#ws.close();
  }
}

/** Where an acked event was stored. */
export interface StoredAt {
  readonly stream: string;
  readonly seq: number;
}

export interface SpreadResult {
  /** Where each event id was stored, as acked. */
  readonly storedAt: Map<string, StoredAt>;
  readonly accepted: number;
  readonly duplicate: number;
  /** Frames sent again to another node after their node failed. */
  readonly resent: number;
  /** Messages of the retryable `unavailable` errors answered (each frame then sent again after a pause). */
  readonly refusals: string[];
}

/**
 * Publishes `events` in frames of `frameSize` spread over the nodes, `inFlight`
 * frames at a time per node, as a client with an outbox would: a frame whose node
 * fails before acking is sent again to another node (some then come back
 * `duplicate`: stored before the node died); a frame answered `unavailable` is sent
 * again after `retryMs`.
 */
export async function publishSpread(
  events: readonly Envelope[],
  wsUrls: readonly string[],
  options: { frameSize: number; inFlight: number; retryMs?: number; onProgress?: (acked: number) => void; onRefused?: (message: string) => void },
): Promise<SpreadResult> {
  const queue: Envelope[][] = [];
  for (let start = 0; start < events.length; start += options.frameSize) queue.push(events.slice(start, start + options.frameSize));
  const producers = wsUrls.map((url) => new Producer(url));
  await Promise.all(producers.map((producer) => producer.opened));
  const storedAt = new Map<string, StoredAt>();
  const refusals: string[] = [];
  let accepted = 0;
  let duplicate = 0;
  let resent = 0;
  let acked = 0;
  let inFlight = 0;
  const worker = async (producer: Producer): Promise<void> => {
    for (;;) {
      const frame = queue.shift();
      if (frame === undefined) {
        if (inFlight === 0 || !producer.open) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      inFlight++;
      try {
        const results = await producer.publish(frame);
        for (const result of results) {
          if (result.status === "rejected") throw new Error(`rejected: ${JSON.stringify(result.issues)}`);
          storedAt.set(result.event_id, { stream: result.stream, seq: result.seq });
          if (result.status === "accepted") accepted++;
          else duplicate++;
        }
        acked += frame.length;
        options.onProgress?.(acked);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (producer.open && message.startsWith("error unavailable")) {
          refusals.push(message);
          options.onRefused?.(message);
          queue.unshift(frame);
          await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 100));
          continue;
        }
        if (producer.open) throw error;
        queue.unshift(frame);
        resent++;
        return;
      } finally {
        inFlight--;
      }
    }
  };
  const workers = producers.flatMap((producer) => Array.from({ length: options.inFlight }, () => worker(producer)));
  await Promise.all(workers);
  for (const producer of producers) producer.close();
  if (queue.length > 0) throw new Error(`${queue.length} frames left unsent: every node failed`);
  return { storedAt, accepted, duplicate, resent, refusals };
}

/**
 * A subscriber to the `events` channel that, when its connection drops, resumes on
 * the next node of `wsUrls` from its position (the last seq it saw per stream).
 * Records every stream's seqs and event ids in arrival order.
 */
export class ResumingSubscriber {
  /** Per stream, in arrival order. */
  readonly seqs = new Map<string, number[]>();
  readonly ids = new Map<string, string[]>();
  readonly gaps: unknown[] = [];
  readonly resets: unknown[] = [];
  received = 0;
  reconnects = 0;
  #urls: string[];
  #index: number;
  #ws: WebSocket | undefined;
  #stopped = false;
  readonly subscribed: Promise<void>;
  #onSubscribed: () => void = () => undefined;

  constructor(wsUrls: readonly string[], first: number) {
    this.#urls = [...wsUrls];
    this.#index = first;
    this.subscribed = new Promise((resolve) => (this.#onSubscribed = resolve));
    this.#connect();
  }

  /** The last seq seen in each stream. */
  get position(): Map<string, number> {
    return new Map([...this.seqs].map(([stream, seqs]) => [stream, seqs.at(-1) ?? 0]));
  }

  /** Nodes known dead are skipped on reconnect. */
  forget(wsUrl: string): void {
    this.#urls = this.#urls.filter((url) => url !== wsUrl);
  }

  stop(): void {
    this.#stopped = true;
    this.#ws?.close();
  }

  #connect(): void {
    const url = this.#urls[this.#index % this.#urls.length]!;
    const ws = new WebSocket(`${url}/api/v1/ws`, { headers: { authorization: `Bearer ${ADMIN}` }, perMessageDeflate: false });
    this.#ws = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", sub: "s", channel: "events", since: formatPosition(this.position) })));
    ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; stream?: string; seq?: number; event?: { event_id: string } };
      if (frame.type === "message") {
        const stream = frame.stream!;
        append(this.seqs, stream, frame.seq!);
        append(this.ids, stream, frame.event!.event_id);
        this.received++;
      } else if (frame.type === "subscribed") {
        this.#onSubscribed();
      } else if (frame.type === "gap") {
        this.gaps.push(frame);
      } else if (frame.type === "reset") {
        this.resets.push(frame);
      }
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      if (this.#stopped) return;
      this.reconnects++;
      this.#index++;
      setTimeout(() => this.#connect(), 50);
    });
  }
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Each stream's event ids in seq order, from what was acked. */
export function ackedStreams(storedAt: ReadonlyMap<string, StoredAt>): Map<string, string[]> {
  const byStream = new Map<string, { id: string; seq: number }[]>();
  for (const [id, { stream, seq }] of storedAt) {
    const list = byStream.get(stream) ?? [];
    list.push({ id, seq });
    byStream.set(stream, list);
  }
  return new Map([...byStream].map(([stream, list]) => [stream, list.sort((a, b) => a.seq - b.seq).map((entry) => entry.id)]));
}
