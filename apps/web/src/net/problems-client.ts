/**
 * The problems channel (`/api/v1/problems/events`): a `snapshot` of the project's
 * findings on join, then the `delta`s the hub computes. Browsers cannot send
 * headers on a WebSocket, so each connection takes a fresh read-only stream
 * ticket. Reconnects with capped full-jitter backoff; a new snapshot after a
 * reconnect is compared with the old one by the state, so nothing is missed.
 */
import { Backoff } from "@events/client";
import type { ProblemsFrame } from "@events/schema";
import { streamTicket } from "./api.js";
import { RETRY_BACKOFF, type ConnectionState } from "./connection-state.js";
import { parseProblemsFrame } from "./frames.js";

export interface ProblemsClientOptions {
  /** `ws(s)://host` of the hub. */
  readonly origin: string;
  readonly token: string;
  readonly project: string | undefined;
  readonly onFrame: (frame: ProblemsFrame) => void;
  readonly onState: (state: ConnectionState) => void;
}

export class ProblemsClient {
  readonly #options: ProblemsClientOptions;
  #socket: WebSocket | undefined;
  readonly #backoff = new Backoff(RETRY_BACKOFF);
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: ProblemsClientOptions) {
    this.#options = options;
  }

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#socket?.close(1000, "page stopped");
    this.#socket = undefined;
  }

  async #connect(): Promise<void> {
    this.#options.onState({ status: "connecting", reason: "asking for a stream ticket" });
    const ticket = await streamTicket(this.#options.token);
    if (this.#stopped) return;
    if (!ticket.ok) {
      if (ticket.auth === "refused") return this.#options.onState({ status: "unauthorized", reason: ticket.message });
      if (ticket.auth === "forbidden") return this.#options.onState({ status: "forbidden", reason: ticket.message });
      return this.#later(ticket.message);
    }
    const params = new URLSearchParams({ ticket: ticket.value.ticket });
    if (this.#options.project !== undefined) params.set("project", this.#options.project);
    const socket = new WebSocket(`${this.#options.origin}/api/v1/problems/events?${params.toString()}`);
    this.#socket = socket;
    socket.onmessage = (message: MessageEvent<string>) => {
      const frame = parseProblemsFrame(message.data);
      if (frame === undefined) return;
      if (frame.kind === "snapshot") {
        this.#backoff.reset();
        this.#options.onState({ status: "live", reason: "live" });
      }
      this.#options.onFrame(frame);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = undefined;
      if (event.code === 4401) return this.#options.onState({ status: "unauthorized", reason: event.reason || "the hub refused the token" });
      if (event.code === 4403) return this.#options.onState({ status: "forbidden", reason: event.reason || "this token may not read this project" });
      this.#later(`connection lost (${event.code})`);
    };
  }

  #later(reason: string): void {
    const delay = this.#backoff.next();
    this.#options.onState({ status: "reconnecting", reason, retryAt: Date.now() + delay });
    this.#retry = setTimeout(() => void this.#connect(), delay);
  }
}
