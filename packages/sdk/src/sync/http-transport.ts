/**
 * `POST /api/v1/events/batch`: one body of events, one result per event. Used when
 * the WebSocket is refused or keeps failing, and for a short-lived host's few events.
 * Each request uses its own connection, which never keeps the host process alive.
 * Bodies from `gzipMinBytes` up are gzip-compressed; smaller ones go as they are,
 * since loading zlib costs a command that sends one event more than the bytes saved.
 */
import type { IncomingMessage } from "node:http";
import { batchResponseCodec, errorResponseCodec, limitsCodec, type Limits } from "@events/schema";
import type { Sendable } from "./batches.js";
import type { PublishOutcome } from "./ws-transport.js";
import { classifyStatus, parseRetryAfter, SyncError } from "./sync-error.js";

export interface HttpTransportOptions {
  serverUrl: string;
  token: string;
  /** Milliseconds for one request, connect to last byte. @default 30_000 */
  timeoutMs?: number;
  /** Bodies of at least this many bytes are sent gzip-compressed. @default 8_192 */
  gzipMinBytes?: number;
}

export const GZIP_MIN_BYTES = 8_192;

interface Response {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  /** The hub's advertised limits (`GET /api/v1/limits`). */
  async limits(): Promise<Limits> {
    const response = await this.call("GET", "/api/v1/limits");
    if (response.status !== 200) throw this.failure(response);
    const decoded = limitsCodec.decodeJson(response.body);
    if (decoded.ok) return decoded.value;
    // Some hubs wrap the limits: { limits: {...} }.
    const wrapped = limitsCodec.decode((JSON.parse(response.body) as { limits?: unknown }).limits);
    if (wrapped.ok) return wrapped.value;
    throw new SyncError("server", "the hub's limits could not be read");
  }

  async publish(events: readonly Sendable[]): Promise<PublishOutcome> {
    const json = Buffer.from(`{"events":[${events.map((event) => event.json).join(",")}]}`);
    const gzip = json.length >= (this.options.gzipMinBytes ?? GZIP_MIN_BYTES);
    const body = gzip ? (await import("node:zlib")).gzipSync(json) : json;
    const response = await this.call("POST", "/api/v1/events/batch", body, gzip);
    if (response.status !== 200) throw this.failure(response);
    const decoded = batchResponseCodec.decodeJson(response.body);
    if (!decoded.ok) throw new SyncError("server", `the hub's answer could not be read: ${decoded.issues[0]?.message ?? ""}`);
    return { results: decoded.value.results, lamportClock: decoded.value.lamport_clock };
  }

  private failure(response: Response): SyncError {
    const decoded = errorResponseCodec.decodeJson(response.body);
    const detail = decoded.ok ? `${decoded.value.error.code}: ${decoded.value.error.message}` : response.body.slice(0, 200);
    const header: string | string[] | undefined = response.headers["retry-after"];
    const retryAfterMs = parseRetryAfter(typeof header === "string" ? header : header?.[0]);
    return new SyncError(classifyStatus(response.status), `HTTP ${response.status} from the hub (${detail})`, {
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  // eslint-disable-next-line max-params -- private; the body and its encoding go together
  private async call(method: "GET" | "POST", path: string, body?: Buffer, gzip = false): Promise<Response> {
    const url = new URL(path, this.options.serverUrl);
    // Loaded only when a host syncs over HTTP: importing the SDK must not pay for it.
    const send = url.protocol === "https:" ? (await import("node:https")).request : (await import("node:http")).request;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: "application/json" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      if (gzip) headers["content-encoding"] = "gzip";
      headers["content-length"] = String(body.length);
    }
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: false, timeout: this.options.timeoutMs ?? 30_000 }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", (error) => reject(new SyncError("network", error.message, { cause: error })));
      });
      req.on("socket", (socket) => socket.unref());
      req.on("timeout", () => req.destroy(new Error(`no answer from the hub within ${this.options.timeoutMs ?? 30_000} ms`)));
      req.on("error", (error) => reject(new SyncError("network", error.message, { cause: error })));
      req.end(body);
    });
  }
}
