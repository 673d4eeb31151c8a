/**
 * The hub's WebSocket protocol from the client side: `hello` -> `welcome` (the hub's
 * limits and Lamport value), then `publish` frames each answered by one `ack` with a
 * result per event. The socket never keeps the host process alive.
 */
import { hubFrameCodec, PROTOCOL_VERSION, type EventResult, type Limits, type WelcomeFrame } from "@events/schema";
import type WebSocket from "ws";
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { Sendable } from "./batches.js";
import { SyncError } from "./sync-error.js";

export interface WsTransportOptions {
  /** The hub's base URL (`http://host:port`); the socket goes to `/api/v1/ws`. */
  serverUrl: string;
  token: string;
  /** Milliseconds to wait for the connection and the welcome. @default 5_000 */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for the ack of one publish. @default 30_000 */
  ackTimeoutMs?: number;
  /** Told when the socket closes for any reason after the welcome. */
  onClose?: (error: SyncError) => void;
  /** Told of every Lamport value a hub frame carries. */
  onClock?: (value: number) => void;
  /** Aborts a connection attempt (the host is exiting). */
  signal?: AbortSignal;
}

export interface PublishOutcome {
  results: EventResult[];
  lamportClock: number;
}

interface Pending {
  resolve: (outcome: PublishOutcome) => void;
  reject: (error: SyncError) => void;
  timer: NodeJS.Timeout;
}

export function wsUrl(serverUrl: string): string {
  const url = new URL("/api/v1/ws", serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** WebSocket close codes as error classes. */
function closeError(code: number, reason: string): SyncError {
  const text = `connection closed (${code}${reason === "" ? "" : ` ${reason}`})`;
  if (code === 4401 || code === 4403) return new SyncError("auth", text, { status: code });
  if (code === 1009) return new SyncError("schema", text, { status: 413 });
  if (code === 1011 || code === 1013) return new SyncError("server", text, { status: code });
  return new SyncError("network", text, { status: code });
}

export class WsTransport {
  private nextRef = 0;
  private readonly pending = new Map<string, Pending>();
  private closedWith: SyncError | undefined;

  private constructor(
    private readonly socket: WebSocket,
    readonly welcome: WelcomeFrame,
    private readonly options: WsTransportOptions,
  ) {}

  get limits(): Limits {
    return this.welcome.limits;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  static async connect(options: WsTransportOptions): Promise<WsTransport> {
    // Loaded only when a host syncs: importing the SDK must not pay for it.
    const secure = options.serverUrl.startsWith("https:");
    // node:tls costs a few milliseconds to load: only for https hubs.
    const [{ default: WebSocketClass }, net, tls] = await Promise.all([import("ws"), import("node:net"), secure ? import("node:tls") : undefined]);
    return new Promise((resolve, reject) => {
      let settled = false;
      const socket = new WebSocketClass(wsUrl(options.serverUrl), {
        headers: { authorization: `Bearer ${options.token}` },
        handshakeTimeout: options.connectTimeoutMs ?? 5_000,
        perMessageDeflate: false,
        // The socket never holds the host open, not even while connecting.
        createConnection: ((connectOptions: net.NetConnectOpts) =>
          unrefd(tls !== undefined ? tls.connect(connectOptions as tls.ConnectionOptions) : net.connect(connectOptions))) as typeof net.createConnection,
      });
      const fail = (error: SyncError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on("error", () => undefined);
        socket.terminate();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new SyncError("network", "timed out waiting for the hub's welcome")),
        options.connectTimeoutMs ?? 5_000,
      );
      timer.unref();
      socket.on("unexpected-response", (_request, response) => {
        const status = response.statusCode ?? 0;
        fail(
          new SyncError(status === 401 || status === 403 ? "auth" : "server", `the hub refused the WebSocket (HTTP ${status})`, {
            status,
          }),
        );
      });
      socket.on("error", (error) => fail(new SyncError("network", error.message, { cause: error })));
      socket.on("close", (code, reason) => fail(closeError(code, reason.toString())));
      options.signal?.addEventListener("abort", () => fail(new SyncError("network", "connection attempt aborted")), { once: true });
      socket.on("open", () => {
        socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, client: "events-sdk" }));
      });
      socket.once("message", (data: Buffer) => {
        const frame = hubFrameCodec.decodeJson(data);
        if (!frame.ok) return fail(new SyncError("server", `the hub sent a frame we cannot read: ${frame.issues[0]?.message ?? ""}`));
        if (frame.value.type === "error") {
          const errorClass = frame.value.code === "unauthenticated" || frame.value.code === "forbidden" ? "auth" : "server";
          return fail(new SyncError(errorClass, `the hub said ${frame.value.code}: ${frame.value.message}`));
        }
        if (frame.value.type !== "welcome") return fail(new SyncError("server", `expected welcome, got ${frame.value.type}`));
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
        const transport = new WsTransport(socket, frame.value, options);
        transport.listen();
        options.onClock?.(frame.value.lamport_clock);
        resolve(transport);
      });
    });
  }

  /** Sends one publish frame; resolves with the hub's result for each event. */
  publish(events: readonly Sendable[]): Promise<PublishOutcome> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    this.nextRef += 1;
    const ref = `p${this.nextRef}`;
    // The events are already JSON: splice them in rather than serialising twice.
    const frame = `{"type":"publish","ref":"${ref}","events":[${events.map((event) => event.json).join(",")}]}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new SyncError("network", `no ack from the hub within ${this.options.ackTimeoutMs ?? 30_000} ms`));
        this.terminate(new SyncError("network", "ack timeout"));
      }, this.options.ackTimeoutMs ?? 30_000);
      timer.unref();
      this.pending.set(ref, { resolve, reject, timer });
      this.socket.send(frame, (error) => {
        if (error !== undefined && error !== null) this.settle(ref, new SyncError("network", error.message, { cause: error }));
      });
    });
  }

  close(): void {
    this.terminate(new SyncError("network", "closed by the client"), true);
  }

  private listen(): void {
    this.socket.on("message", (data: Buffer) => this.onFrame(data));
    this.socket.on("error", () => undefined);
    this.socket.on("close", (code, reason) => this.terminate(closeError(code, reason.toString())));
  }

  private onFrame(data: Buffer): void {
    const decoded = hubFrameCodec.decodeJson(data);
    if (!decoded.ok) return;
    const frame = decoded.value;
    switch (frame.type) {
      case "ack":
        this.options.onClock?.(frame.lamport_clock);
        this.settle(frame.ref, { results: frame.results, lamportClock: frame.lamport_clock });
        return;
      case "ping":
        this.socket.send(JSON.stringify(frame.ts === undefined ? { type: "pong" } : { type: "pong", ts: frame.ts }));
        return;
      case "error":
        if (frame.ref !== undefined) {
          const errorClass = frame.code === "unauthenticated" || frame.code === "forbidden" ? "auth" : frame.code === "batch_too_large" || frame.code === "frame_too_large" ? "schema" : "server";
          const status = errorClass === "schema" ? 413 : undefined;
          this.settle(frame.ref, new SyncError(errorClass, `the hub said ${frame.code}: ${frame.message}`, status === undefined ? {} : { status }));
        }
        return;
      case "welcome":
      case "subscribed":
      case "message":
      case "gap":
      case "reset":
      case "pong":
        return;
    }
  }

  private settle(ref: string, outcome: PublishOutcome | SyncError): void {
    const pending = this.pending.get(ref);
    if (pending === undefined) return;
    this.pending.delete(ref);
    clearTimeout(pending.timer);
    if (outcome instanceof SyncError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private terminate(error: SyncError, byClient = false): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    for (const ref of [...this.pending.keys()]) this.settle(ref, error);
    this.socket.removeAllListeners("close");
    if (byClient) this.socket.close(1000);
    else this.socket.terminate();
    if (!byClient) this.options.onClose?.(error);
  }
}

function unrefd<T extends { unref: () => unknown }>(socket: T): T {
  socket.unref();
  return socket;
}
