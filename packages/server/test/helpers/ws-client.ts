/**
 * A test client over the `ws` package: records every frame and the close, and
 * waits for conditions with vi.waitFor (never a sleep).
 */
import { vi } from "vitest";
import WebSocket from "ws";
import { PROTOCOL_VERSION, type ClientFrame, type HubFrame } from "@events/schema";

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export class TestSocket {
  readonly ws: WebSocket;
  readonly frames: HubFrame[] = [];
  readonly raw: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  closeInfo: Closed | undefined;

  constructor(url: string, options: { token?: string; autoPong?: boolean; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
    this.ws = new WebSocket(url, { headers, autoPong: options.autoPong ?? true, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    this.ws.on("error", () => undefined);
    this.ws.on("message", (data: Buffer) => {
      const text = data.toString();
      this.raw.push(text);
      this.frames.push(JSON.parse(text) as HubFrame);
    });
  }

  static async open(url: string, options: { token?: string; autoPong?: boolean; headers?: Record<string, string> } = {}): Promise<TestSocket> {
    const socket = new TestSocket(url, options);
    await socket.opened;
    return socket;
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Waits until a frame matches and returns it. */
  async next<T extends HubFrame["type"]>(type: T, match: (frame: Extract<HubFrame, { type: T }>) => boolean = () => true, timeout = 10_000): Promise<Extract<HubFrame, { type: T }>> {
    return vi.waitFor(
      () => {
        const found = this.of(type).find((frame) => match(frame));
        if (found === undefined) throw new Error(`no ${type} frame yet`);
        return found;
      },
      { timeout, interval: 5 },
    );
  }

  of<T extends HubFrame["type"]>(type: T): Extract<HubFrame, { type: T }>[] {
    return this.frames.filter((frame): frame is Extract<HubFrame, { type: T }> => frame.type === type);
  }

  /** Sends hello (with a token when given) and waits for welcome. */
  async hello(token?: string): Promise<Extract<HubFrame, { type: "welcome" }>> {
    this.send(token === undefined ? { type: "hello", protocol: PROTOCOL_VERSION } : { type: "hello", protocol: PROTOCOL_VERSION, token });
    return this.next("welcome");
  }

  /** Publishes and waits for the ack. */
  async publish(events: unknown[], ref = `r${Math.random().toString(36).slice(2)}`): Promise<Extract<HubFrame, { type: "ack" }>> {
    this.send({ type: "publish", ref, events });
    return this.next("ack", (ack) => ack.ref === ref);
  }

  close(): void {
    this.ws.close();
  }
}
