/**
 * The hub's config file (`events serve --config hub.yaml`), one TypeBox schema: every
 * `HubOptions` option under its snake_case name, with the one-line reason and the
 * default that deploy/hub.yaml shows. `loadHubConfig` validates against it, so the
 * file's documentation and its validation come from this one place; the tests hold
 * the defaults here to `resolveOptions` and deploy/hub.yaml to this schema.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { DEFAULT_FAN_OUT_SLICE } from "./broker/broker.js";
import { DEFAULT_LIMITS, MAX_DATAGRAM_BYTES } from "./options.js";

/** A key's documentation: its one line of why, its default, and whether it is a path. */
interface Doc {
  readonly description: string;
  readonly default?: unknown;
  /** The value is a path, taken relative to the config file's directory. */
  readonly path?: true;
}

/** `expected` is what the key takes, in the words of an error message ("expected a positive integer"). */
const annotate = (doc: Doc, expected: string): Record<string, unknown> => ({ ...doc, expected });

const positive = (doc: Doc) => Type.Integer({ minimum: 1, ...annotate(doc, "a positive integer") });
const nonNegative = (doc: Doc) => Type.Integer({ minimum: 0, ...annotate(doc, "a non-negative integer (0 turns it off)") });
const text = (doc: Doc) => Type.String({ minLength: 1, ...annotate(doc, doc.path ? "a path" : "a non-empty string") });
const matching = (doc: Doc, pattern: string, expected: string) => Type.String({ pattern, ...annotate(doc, expected) });

const limit = (name: keyof typeof DEFAULT_LIMITS, description: string) => positive({ description, default: DEFAULT_LIMITS[name] });

/** The `limits:` section: what the hub advertises in `welcome` and refuses past. */
export const HubConfigLimits = Type.Partial(
  Type.Object({
    max_frame_bytes: limit("max_frame_bytes", "Largest WebSocket frame the hub reads, in bytes."),
    max_events_per_batch: limit("max_events_per_batch", "Most events in one publish frame or HTTP batch."),
    max_batch_bytes: limit("max_batch_bytes", "Largest HTTP batch body, after decompression, in bytes."),
    max_event_bytes: limit("max_event_bytes", "Largest single event, serialised, in bytes."),
    subscriber_queue_events: limit("subscriber_queue_events", "Events queued for one slow subscriber before the oldest are dropped."),
    subscriber_queue_bytes: limit("subscriber_queue_bytes", "Bytes queued for one slow subscriber before the oldest are dropped."),
  }),
  { additionalProperties: false, ...annotate({ description: "Limits advertised in welcome and GET /api/v1/limits." }, "a mapping of limits") },
);

export const HubConfigFile = Type.Partial(
  Type.Object({
    host: text({ description: "Interface to listen on; keep 127.0.0.1 behind a proxy on the same machine.", default: "127.0.0.1" }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, ...annotate({ description: "TCP port; 0 picks a free one.", default: 8787 }, "an integer from 0 to 65535") }),
    data_dir: text({ description: "Directory of the SQLite store hub.db (and, on SQLite, the datagram socket).", default: "./.events-hub", path: true }),
    database_url: matching({ description: "Store in PostgreSQL instead of SQLite (needed for a cluster)." }, "^postgres(ql)?://", "a postgres:// URL"),
    redis_url: matching({ description: "With database_url: run as one node of a cluster, fan-out over Redis." }, "^rediss?://", "a redis:// or rediss:// URL"),
    bus_prefix: matching({ description: "Prefix of the cluster's Redis channels; every node of one cluster shares it.", default: "events" }, "^[A-Za-z0-9_.:-]{1,64}$", "1-64 letters, digits or _.:-"),
    bus_gap_wait_ms: positive({ description: "How long a node waits for a late bus message before reading the gap from the store.", default: 50 }),
    bus_reorder_max_events: positive({ description: "Events a node holds while reordering; past it they are read from the store.", default: 10_000 }),
    bus_max_message_bytes: positive({ description: "Commits up to this size travel inline on the bus; larger ones as a seq range.", default: 262_144 }),
    bus_catch_up_interval_ms: positive({ description: "How often a node checks it delivered everything the store holds (bounds a lost last message).", default: 1_000 }),
    bus_connect_timeout_ms: positive({ description: "How long start waits for Redis before serving from the store alone.", default: 5_000 }),
    pg_lock_timeout_ms: nonNegative({ description: "PostgreSQL lock_timeout: a write waiting this long for a stream's row fails, retryable.", default: 5_000 }),
    pg_statement_timeout_ms: nonNegative({ description: "PostgreSQL statement_timeout: no statement runs longer.", default: 30_000 }),
    pg_idle_in_transaction_timeout_ms: nonNegative({ description: "PostgreSQL ends the session of a hub stalled inside a transaction after this long.", default: 10_000 }),
    sqlite_synchronous: Type.Union([Type.Literal("normal"), Type.Literal("full")], {
      ...annotate({ description: "normal survives a crashed hub; full also survives power loss, at an fsync per commit.", default: "normal" }, 'one of "normal", "full"'),
    }),
    socket_path: Type.Union([Type.String({ minLength: 1 }), Type.Literal(false)], {
      ...annotate({ description: "The datagram ingest socket (statemachine-engine's send-event); false for none. Default: <data_dir>/events.sock on SQLite, none on PostgreSQL.", path: true }, "a path, or false for none"),
    }),
    control_dir: text({ description: "Directory of machines' control sockets. Default: $XDG_RUNTIME_DIR, else the temp dir.", path: true }),
    control_prefix: matching({ description: "File-name prefix of machines' control sockets (statemachine-engine: statemachine-control-).", default: "control-" }, "^[A-Za-z0-9_.-]{0,64}$", "up to 64 of A-Z a-z 0-9 _ . -"),
    datagram_project: Type.Union([Type.String({ pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" }), Type.Null()], {
      ...annotate({ description: "Project uuid stamped on events that arrive by datagram (they carry none).", default: null }, "a project uuid, or null"),
    }),
    max_datagram_bytes: Type.Integer({
      minimum: 1,
      maximum: MAX_DATAGRAM_BYTES,
      ...annotate({ description: "Largest datagram taken; larger ones are refused as too_large.", default: MAX_DATAGRAM_BYTES }, `an integer from 1 to ${MAX_DATAGRAM_BYTES}`),
    }),
    datagram_warning_interval_ms: positive({ description: "A refused datagram is reported in the activity log at most once per reason this often.", default: 10_000 }),
    admin_token: text({ description: "The admin token; better in the environment (EVENTS_ADMIN_TOKEN) than in a file. Default: generated at first start, printed once." }),
    node_id: text({ description: 'This hub\'s id in welcome, on its events and metrics. Default: "hub-" + a hash of host and store.' }),
    limits: HubConfigLimits,
    heartbeat_ms: positive({ description: "WebSocket pings and SSE heartbeat comments; proxies' read timeouts must be longer.", default: 15_000 }),
    ping_timeout_ms: positive({ description: "A WebSocket peer that answers no ping this long is closed (4408).", default: 30_000 }),
    hello_timeout_ms: positive({ description: "A connection that has not authenticated this long is closed (4401).", default: 10_000 }),
    send_timeout_ms: positive({ description: "A subscriber whose socket takes nothing this long while frames wait is closed.", default: 10_000 }),
    slow_consumer_grace_ms: positive({ description: "A subscriber kept at its queue limit this long is closed (4429).", default: 5_000 }),
    close_grace_ms: positive({ description: "A closing connection that does not finish the close is destroyed after this long.", default: 2_000 }),
    send_high_water_bytes: positive({ description: "Bytes a socket may hold unsent before the hub queues frames itself.", default: 262_144 }),
    sse_retry_ms: positive({ description: "retry: sent to SSE clients.", default: 2_000 }),
    sse_max_lifetime_ms: positive({ description: "An SSE stream is ended (end event) after this long; the client reconnects and resumes.", default: 1_800_000 }),
    ticket_ttl_ms: positive({ description: "Lifetime of a stream ticket (POST /api/v1/stream-tickets).", default: 300_000 }),
    write_batch_max: positive({ description: "Most events in one store transaction; capped at limits.subscriber_queue_events.", default: DEFAULT_LIMITS.subscriber_queue_events }),
    fan_out_slice: positive({ description: "Subscribers handed new events per turn of the event loop; events committed during a walk join it where it is.", default: DEFAULT_FAN_OUT_SLICE }),
    retain_events: positive({ description: "Keep at most this many events; older ones are pruned (resuming before them gets reset). Default: keep all." }),
    retention_interval_ms: positive({ description: "How often retention runs.", default: 60_000 }),
    log_level: Type.Union([Type.Literal("silent"), Type.Literal("error"), Type.Literal("warn"), Type.Literal("info"), Type.Literal("debug")], {
      ...annotate({ description: "What the hub logs to stderr; EVENTS_DEBUG=1 means debug. Default: info under events serve, silent in startHub()." }, 'one of "silent", "error", "warn", "info", "debug"'),
    }),
    dashboard_dir: text({ description: "The dashboard's built files, served at /. Default: the copy events serve ships.", path: true }),
  }),
  { additionalProperties: false, ...annotate({ description: "The hub's options." }, "a mapping of hub options") },
);

export type HubConfigFile = Static<typeof HubConfigFile>;

/** A key's schema and its annotations, for messages and for the example file's test. */
export type HubConfigKeySchema = TSchema & Doc & { readonly expected: string };
