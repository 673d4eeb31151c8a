/**
 * The live event stream over the hub's WebSocket (`/api/v1/ws`): hello with the
 * read token, one subscription to every channel of the chosen project, from the
 * last `seq` the page applied (at first the newest event the page read from
 * history). The hub replays what was missed, then goes live, without gap or
 * repeat; repeats are dropped by `seq` anyway. A dropped connection is retried with
 * capped full-jitter backoff; 4401/4403 stop and ask for a token. No polling: a
 * ping every 20 s only checks that a quiet connection is still alive. Frames the
 * page cannot read are dropped and counted, never thrown.
 */
import type { HubFrame } from "@events/schema";
import { parseHubFrame } from "./frames.js";
import type { LiveEvent } from "../state/live-event.js";
import { onGap, onReset, type CursorAction } from "../state/resume-cursor.js";
import { backoffDelay } from "./backoff.js";
import type { ConnectionState } from "./connection-state.js";

const SUB = "dashboard";
const PING_MS = 20_000;
/** Silence (not even a pong) for this long means the connection is dead. */
const DEAD_MS = 45_000;
/** At most one batch per this many milliseconds: a long replay renders ~20 times a second, not once per frame. */
const FLUSH_MS = 50;

export interface LiveClientOptions {
  readonly url: string;
  readonly token: string;
  /** A project uuid; the token's own (or, for the admin, every project) when undefined. */
  readonly project: string | undefined;
  /** The last `seq` applied, read at every (re)subscribe. */
  readonly lastSeq: () => number;
  readonly onEvents: (events: readonly LiveEvent[]) => void;
  readonly onState: (state: ConnectionState) => void;
  /** The hub's store is not the one followed so far (`position_ahead`): the owner clears and starts over. */
  readonly onRestart: () => void;
  readonly onNotice: (message: string) => void;
}

export class LiveClient {
  readonly #options: LiveClientOptions;
  #socket: WebSocket | undefined;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #ping: ReturnType<typeof setInterval> | undefined;
  #lastFrame = 0;
  #stopped = false;
  #pending: LiveEvent[] = [];
  /** Between a (re)subscribe and its `subscribed`: frames of the replaced subscription are dropped (the new one replays them). */
  #awaiting = true;
  #flush: ReturnType<typeof setTimeout> | undefined;
  #lastFlush = 0;
  #malformed = 0;

  constructor(options: LiveClientOptions) {
    this.#options = options;
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#ping);
    this.#socket?.close(1000, "page stopped");
    this.#socket = undefined;
    this.#options.onState({ status: "stopped", reason: "stopped" });
  }

  /** Reconnects now (e.g. the browser came back online), skipping the backoff wait. */
  retryNow(): void {
    if (this.#stopped || this.#socket !== undefined) return;
    clearTimeout(this.#retry);
    this.#connect();
  }

  #connect(): void {
    this.#options.onState({ status: "connecting", reason: this.#attempt === 0 ? "connecting" : `attempt ${this.#attempt + 1}` });
    const socket = new WebSocket(this.#options.url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#lastFrame = Date.now();
      socket.send(JSON.stringify({ type: "hello", protocol: 1, token: this.#options.token, client: "dashboard" }));
    };
    socket.onmessage = (message: MessageEvent<string>) => {
      this.#lastFrame = Date.now();
      const frame = parseHubFrame(message.data);
      if (frame === undefined) return this.#onMalformed();
      this.#onFrame(socket, frame);
    };
    socket.onclose = (event) => this.#onClose(socket, event.code, event.reason);
  }

  #onFrame(socket: WebSocket, frame: HubFrame): void {
    switch (frame.type) {
      case "welcome":
        this.#subscribe(socket, this.#options.lastSeq());
        return;
      case "subscribed":
        this.#awaiting = false;
        this.#attempt = 0;
        this.#startPing(socket);
        this.#options.onState({ status: "live", reason: frame.from_seq < frame.head_seq ? `catching up from ${frame.from_seq}` : "live" });
        return;
      case "message":
        if (!this.#awaiting) this.#queue({ seq: frame.seq, channel: frame.channel, event: frame.event });
        return;
      case "gap":
        this.#act(socket, onGap({ lastSeq: this.#options.lastSeq() }, frame));
        return;
      case "reset":
        this.#act(socket, onReset({ lastSeq: this.#options.lastSeq() }, frame));
        return;
      case "error":
        if (frame.sub !== undefined && frame.code === "forbidden") {
          // The subscription was refused, not the connection; retrying will not help, so
          // this ends as a 4403 close does (a close reason holds at most 123 bytes).
          socket.close(4403, frame.message.slice(0, 100));
          return;
        }
        this.#options.onNotice(`the hub said ${frame.code}: ${frame.message}`);
        return;
      case "ping":
        socket.send(JSON.stringify({ type: "pong", ...(frame.ts === undefined ? {} : { ts: frame.ts }) }));
        return;
      case "pong":
      case "ack":
        return;
    }
  }

  #act(socket: WebSocket, action: CursorAction): void {
    switch (action.kind) {
      case "resubscribe":
        this.#flushNow();
        this.#subscribe(socket, action.since);
        return;
      case "restart":
        this.#pending = [];
        this.#awaiting = true;
        this.#options.onRestart();
        return;
      case "skip":
        this.#options.onNotice(action.message);
        return;
    }
  }

  #subscribe(socket: WebSocket, since: number): void {
    const project = this.#options.project;
    this.#awaiting = true;
    socket.send(JSON.stringify({ type: "subscribe", sub: SUB, since, ...(project === undefined ? {} : { project }) }));
  }

  /** Events are applied in batches, once per task, so a replay of thousands renders once, not thousands of times. */
  #queue(event: LiveEvent): void {
    this.#pending.push(event);
    this.#flush ??= setTimeout(() => this.#flushNow(), Math.max(0, this.#lastFlush + FLUSH_MS - Date.now()));
  }

  #onMalformed(): void {
    this.#malformed++;
    // Once, then every hundredth: a hub sending garbage should not flood the page.
    if (this.#malformed === 1 || this.#malformed % 100 === 0) this.#options.onNotice(`ignored ${this.#malformed} frame${this.#malformed === 1 ? "" : "s"} from the hub that the page could not read`);
  }

  #flushNow(): void {
    clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#lastFlush = Date.now();
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#options.onEvents(batch);
  }

  #startPing(socket: WebSocket): void {
    clearInterval(this.#ping);
    this.#ping = setInterval(() => {
      if (Date.now() - this.#lastFrame > DEAD_MS) socket.close(4000, "no answer from the hub");
      else if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping", ts: Date.now() }));
    }, PING_MS);
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (this.#socket !== socket) return;
    this.#flushNow();
    this.#socket = undefined;
    clearInterval(this.#ping);
    if (this.#stopped) return;
    if (code === 4401) {
      this.#options.onState({ status: "unauthorized", reason: reason === "" ? "the hub refused the token" : reason });
      return;
    }
    if (code === 4403) {
      this.#options.onState({ status: "forbidden", reason: reason === "" ? "this token may not read this project" : reason });
      return;
    }
    const delay = backoffDelay(this.#attempt++);
    this.#options.onState({ status: "reconnecting", reason: code === 1001 ? "the hub is restarting" : `connection lost (${code})`, retryAt: Date.now() + delay });
    this.#retry = setTimeout(() => this.#connect(), delay);
  }
}
