/**
 * `events tail`: the live stream in the terminal, through @events/client, which
 * resumes after a reconnect (and re-reads after a gap) from its position (the last
 * `seq` it delivered in each stream, one stream per project), so nothing is printed
 * twice or missed. Tail prints, says when it
 * reconnects or the hub cannot serve the position asked for, and exits 1 when the
 * hub refuses the token or the subscription, since waiting would never show anything.
 */
import type { ClientError, Delivery, StateChange } from "@events/client";
import { parsePosition, type Envelope } from "@events/schema";
import { failure, usageError, type CliError } from "../errors.js";
import { colour, print, warn, write } from "../output.js";

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
  /** `websocket`, `sse` (Server-Sent Events), or `auto`: WebSocket, SSE when it cannot be opened. */
  transport?: string;
}

const TRANSPORTS = ["auto", "websocket", "sse"] as const;

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
  const resolved = sdk.resolveServer({ home: sdk.resolveHome(flags.home), ...(flags.server === undefined ? {} : { serverUrl: flags.server }), ...(flags.token === undefined ? {} : { token: flags.token }) });
  if (resolved.serverUrl === undefined || resolved.token === undefined) {
    throw failure("no hub or token is configured", "log in with `events auth login --server <url> --token <token>`, or pass --server and --token");
  }
  const since = sinceOf(flags.since);
  const transport = TRANSPORTS.find((name) => name === (flags.transport ?? "auto"));
  if (transport === undefined) throw usageError(`--transport must be one of ${TRANSPORTS.join(", ")}, got "${flags.transport}"`);
  const limit = flags.count === undefined ? Infinity : Number(flags.count);

  const { createClient } = await import("@events/client");
  const client = createClient({ url: resolved.serverUrl, token: resolved.token, transport, name: "events-tail" });
  const subscription = client.subscribe(flags.channel, { ...(since === undefined ? {} : { since }), ...(flags.project === undefined ? {} : { project: flags.project }) });
  let printed = 0;

  await new Promise<void>((resolve, reject) => {
    const stop = (error?: CliError): void => {
      process.off("SIGINT", interrupted);
      client.disconnect();
      if (error === undefined) resolve();
      else reject(error);
    };
    const interrupted = (): void => stop();
    process.once("SIGINT", interrupted);
    subscription.on("event", (delivery) => {
      if (printed >= limit) return;
      printed += 1;
      printDelivery(delivery, { json: flags.json === true, streams: flags.project === undefined });
      if (printed >= limit) stop();
    });
    subscription.on("reset", (reset) => warn(`the hub cannot serve from that position (${reset.message}); continuing from ${reset.position === "" ? "the start" : reset.position}`));
    subscription.on("error", (error) => stop(refusedSubscription(error)));
    client.on("error", (error) => warn(`the hub said ${error.code}: ${error.message}`));
    client.on("state", (change) => {
      if (change.state === "connecting" && change.delayMs !== undefined) {
        if (flags.json !== true) warn(`disconnected (${closeText(change)}); reconnecting in ${change.delayMs} ms and resuming after ${resumeText(subscription.position)}`);
      } else if (change.state === "disconnected" && change.reason !== "disconnect") {
        stop(refusedConnection(change));
      }
    });
    client.connect();
  });
}

/**
 * `--since`: a position token (as `events tail --json` lines let a script build, or
 * `""` for everything), or a number: `0` is everything too; any other is a protocol-1
 * seq, passed to the hub to translate.
 */
function sinceOf(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  if (/^[0-9]{1,15}$/.test(text)) return Number(text) === 0 ? "" : Number(text);
  if (parsePosition(text) !== undefined) return text;
  throw usageError(`--since must be a position (<stream>:<seq> pairs joined by ",", e.g. -:4,<project uuid>:17) or 0 for everything, got "${text}"`);
}

function resumeText(position: string | number | undefined): string {
  if (position === undefined) return "now";
  if (typeof position === "number") return `seq ${position}`;
  return position === "" ? "the start" : position;
}

/**
 * One line per event. Seqs count per stream, so a tail that may read several streams
 * (no `--project`) says whose seq it is: `-` (no project) or the project uuid's first
 * 8 characters, as in `6f1c2a4e:17`; `--json` lines carry the whole stream.
 */
function printDelivery({ stream, seq, channel, event }: Delivery, options: { json: boolean; streams: boolean }): void {
  if (options.json) {
    write(1, `${JSON.stringify({ stream, seq, channel, event })}\n`);
    return;
  }
  const where = options.streams ? `${stream.slice(0, 8)}:${seq}`.padStart(15) : String(seq).padStart(6);
  print(`${colour.dim(where)} ${colour.dim(event.timestamp.slice(11, 23))} ${paint(event.event_type)} ${summary(event)}`);
}

/** The close code and the words with it, without saying the code twice. */
function closeText(change: StateChange): string {
  if (change.code === undefined) return change.message;
  return change.message.includes(String(change.code)) ? change.message : `${change.code}: ${change.message}`;
}

function refusedSubscription(error: ClientError): CliError {
  const hint =
    error.code === "forbidden"
      ? "use a token of that project, or leave out --project"
      : error.code === "unknown_channel"
        ? "see `events tail --help` for the channels"
        : undefined;
  return failure(`the hub refused the subscription: ${error.message}`, hint);
}

/** The client stopped for good: the token, its scope, or a hub of another protocol. */
function refusedConnection(change: StateChange): CliError {
  if (change.reason === "bad_protocol") {
    return failure(`the hub does not speak this client's protocol (${closeText(change)})`, "use an `events` of the hub's version");
  }
  return failure(`the hub refused the token (close ${change.code ?? change.reason})`, "log in again with `events auth login --server <url> --token <token>`");
}
