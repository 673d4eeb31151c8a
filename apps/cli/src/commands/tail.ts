/**
 * `events tail`: the live stream in the terminal. Subscribes over the hub's
 * WebSocket, resumes after a reconnect from the last `seq` it printed (no gap, no
 * duplicate), and says so when the hub reports a gap or a reset.
 */
import type { Envelope, HubFrame } from "@events/schema";
import { failure, usageError } from "../errors.js";
import { colour, print, warn } from "../output.js";

export interface TailFlags {
  server?: string;
  token?: string;
  home?: string;
  channel?: string;
  project?: string;
  since?: string;
  json?: boolean;
  /** Exit after this many events. */
  count?: string;
}

const PALETTE: Array<[RegExp, (text: string) => string]> = [
  [/^WP/, colour.cyan],
  [/^Feature/, colour.magenta],
  [/^(ErrorLogged|task\.status)$/, colour.red],
  [/^MachineEvent$/, colour.yellow],
  [/^SessionEvent$/, colour.blue],
  [/^ProblemsSnapshot$/, colour.green],
];

function paint(type: string): string {
  return (PALETTE.find(([pattern]) => pattern.test(type))?.[1] ?? ((text: string) => text))(type);
}

function summary(event: Envelope): string {
  switch (event.event_type) {
    case "WPStatusChanged":
      return `${event.payload.wp_id} ${event.payload.from_lane ?? "(none)"} -> ${event.payload.to_lane}`;
    case "MachineEvent":
      return `${event.payload.source} -> ${event.payload.target} ${event.payload.type}`;
    case "SessionEvent":
      return `${event.aggregate_id} ${event.payload.kind}`;
    case "ProblemsSnapshot":
      return `${event.payload.findings.length} finding(s)`;
    case "WPCreated":
    case "WPAssigned":
    case "HistoryAdded":
    case "DependencyResolved":
      return event.payload.wp_id;
    case "FeatureCreated":
    case "FeatureCompleted":
      return event.payload.feature_slug;
    case "ErrorLogged":
      return `${event.payload.error_type}: ${event.payload.error_message}`;
    case "task.created":
    case "task.status":
      return `${event.payload.task_id} ${event.payload.status}`;
  }
}

export async function tail(flags: TailFlags): Promise<void> {
  const sdk = await import("@events/sdk");
  const { hubFrameCodec, PROTOCOL_VERSION } = await import("@events/schema");
  const { default: WebSocket } = await import("ws");
  const resolved = sdk.resolveServer({ home: sdk.resolveHome(flags.home), ...(flags.server === undefined ? {} : { serverUrl: flags.server }), ...(flags.token === undefined ? {} : { token: flags.token }) });
  if (resolved.serverUrl === undefined || resolved.token === undefined) {
    throw failure("no hub or token is configured", "log in with `events auth login --server <url> --token <token>`, or pass --server and --token");
  }
  let since = flags.since === undefined ? undefined : Number(flags.since);
  if (since !== undefined && (!Number.isInteger(since) || since < 0)) throw usageError(`--since must be a seq (a whole number >= 0), got "${flags.since}"`);
  const limit = flags.count === undefined ? Infinity : Number(flags.count);
  let printed = 0;
  let attempt = 0;
  const url = new URL("/api/v1/ws", resolved.serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    let socket: InstanceType<typeof WebSocket> | undefined;
    const stop = (): void => {
      stopped = true;
      socket?.close(1000);
      resolve();
    };
    process.once("SIGINT", stop);
    const connect = (): void => {
      socket = new WebSocket(url, { headers: { authorization: `Bearer ${resolved.token}` } });
      socket.on("open", () => socket?.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, client: "events-tail" })));
      socket.on("message", (data: Buffer) => {
        const decoded = hubFrameCodec.decodeJson(data);
        if (!decoded.ok) return;
        const frame: HubFrame = decoded.value;
        switch (frame.type) {
          case "welcome":
            attempt = 0;
            socket?.send(
              JSON.stringify({
                type: "subscribe",
                sub: "tail",
                ...(flags.channel === undefined ? {} : { channel: flags.channel }),
                ...(flags.project === undefined ? {} : { project: flags.project }),
                ...(since === undefined ? {} : { since }),
              }),
            );
            return;
          case "message": {
            if (since !== undefined && frame.seq <= since) return;
            since = frame.seq;
            printed += 1;
            if (flags.json === true) process.stdout.write(`${JSON.stringify({ seq: frame.seq, channel: frame.channel, event: frame.event })}\n`);
            else print(`${colour.dim(String(frame.seq).padStart(6))} ${colour.dim(frame.event.timestamp.slice(11, 23))} ${paint(frame.event.event_type)} ${summary(frame.event)}`);
            if (printed >= limit) stop();
            return;
          }
          case "gap":
            warn(`the hub dropped events ${frame.from_seq + 1}..${frame.to_seq} for this slow terminal; fetching them again`);
            since = frame.from_seq;
            socket?.send(JSON.stringify({ type: "unsubscribe", sub: "tail" }));
            socket?.send(JSON.stringify({ type: "subscribe", sub: "tail", since, ...(flags.channel === undefined ? {} : { channel: flags.channel }), ...(flags.project === undefined ? {} : { project: flags.project }) }));
            return;
          case "reset":
            warn(`the hub cannot serve from that position (${frame.message}); continuing from ${frame.seq}`);
            since = frame.seq;
            return;
          case "ping":
            socket?.send(JSON.stringify({ type: "pong", ...(frame.ts === undefined ? {} : { ts: frame.ts }) }));
            return;
          case "error":
            if (frame.sub !== undefined && (frame.code === "unknown_channel" || frame.code === "forbidden")) {
              // The subscription was refused: waiting would show nothing, ever.
              stopped = true;
              socket?.close(1000);
              reject(failure(`the hub refused the subscription: ${frame.message}`, frame.code === "forbidden" ? "use a token of that project, or leave out --project" : "see `events tail --help` for the channels"));
              return;
            }
            warn(`the hub said ${frame.code}: ${frame.message}`);
            return;
          case "subscribed":
          case "ack":
          case "pong":
            return;
        }
      });
      socket.on("unexpected-response", (_request, response) => {
        const status = response.statusCode ?? 0;
        if (status === 401 || status === 403) {
          stopped = true;
          reject(failure(`the hub refused the token (HTTP ${status})`, "log in again with `events auth login --server <url> --token <token>`"));
        }
      });
      socket.on("error", () => undefined);
      socket.on("close", (code) => {
        if (stopped) return;
        if (code === 4401 || code === 4403) {
          stopped = true;
          reject(failure(`the hub refused the token (close ${code})`, "log in again with `events auth login --server <url> --token <token>`"));
          return;
        }
        attempt += 1;
        const delay = Math.floor(Math.random() * Math.min(30_000, 500 * 2 ** attempt));
        if (flags.json !== true) warn(`disconnected (${code}); reconnecting in ${delay} ms and resuming after seq ${since ?? "now"}`);
        setTimeout(connect, delay);
      });
    };
    connect();
  });
}
