/**
 * The hub's config file: every option read under its snake_case name, every bad key
 * or value refused naming it, flag > environment > file > default, the schema's
 * defaults equal to the hub's, and deploy/hub.yaml held to the schema.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { parse } from "yaml";
import type { Limits } from "@events/schema";
import {
  DEFAULT_LIMITS,
  HubConfigError,
  HubConfigFile,
  hubOptionsFrom,
  loadHubConfig,
  parseHubConfig,
  resolveOptions,
  type HubOptions,
} from "../src/index.js";
import type { HubOptionsFromFile } from "../src/config-file.js";

const EXAMPLE = fileURLToPath(new URL("../../../deploy/hub.yaml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "events-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parseIn = (text: string): Promise<HubOptions> => parseHubConfig(text, { file: "hub.yaml", baseDir: "/etc/events" });

async function refusal(text: string): Promise<HubConfigError> {
  const error = await parseIn(text).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HubConfigError);
  return error as HubConfigError;
}

type KeySchema = { default?: unknown; expected: string; properties?: Record<string, KeySchema> };
const keys = HubConfigFile.properties as unknown as Record<string, KeySchema>;
const limitKeys = keys["limits"]?.properties ?? {};

describe("reading a config file", () => {
  it("reads every option under its snake_case name, paths from the file's directory", async () => {
    const options = await parseIn(`
host: 0.0.0.0
port: 9000
data_dir: data
database_url: postgres://events@db/events
redis_url: redis://redis:6379
bus_prefix: team-a
bus_gap_wait_ms: 60
bus_reorder_max_events: 500
bus_max_message_bytes: 1024
bus_catch_up_interval_ms: 2000
bus_connect_timeout_ms: 3000
pg_lock_timeout_ms: 0
pg_statement_timeout_ms: 1000
pg_idle_in_transaction_timeout_ms: 2000
sqlite_synchronous: full
socket_path: /tmp/statemachine-events.sock
control_dir: ../run
control_prefix: statemachine-control-
datagram_project: 6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f
max_datagram_bytes: 4096
datagram_warning_interval_ms: 1000
admin_token: a-long-admin-token
node_id: hub-a
limits:
  max_frame_bytes: 2048
  subscriber_queue_events: 50
heartbeat_ms: 500
ping_timeout_ms: 1000
hello_timeout_ms: 1000
send_timeout_ms: 1000
slow_consumer_grace_ms: 1000
close_grace_ms: 100
send_high_water_bytes: 1000
sse_retry_ms: 100
sse_max_lifetime_ms: 60000
ticket_ttl_ms: 1000
write_batch_max: 10
fan_out_slice: 16
retain_events: 100
retention_interval_ms: 1000
log_level: warn
dashboard_dir: /srv/dashboard
`);
    expect(options).toEqual({
      host: "0.0.0.0",
      port: 9000,
      dataDir: "/etc/events/data",
      databaseUrl: "postgres://events@db/events",
      redisUrl: "redis://redis:6379",
      busPrefix: "team-a",
      busGapWaitMs: 60,
      busReorderMaxEvents: 500,
      busMaxMessageBytes: 1024,
      busCatchUpIntervalMs: 2000,
      busConnectTimeoutMs: 3000,
      pgLockTimeoutMs: 0,
      pgStatementTimeoutMs: 1000,
      pgIdleInTransactionTimeoutMs: 2000,
      sqliteSynchronous: "full",
      socketPath: "/tmp/statemachine-events.sock",
      controlDir: "/etc/run",
      controlPrefix: "statemachine-control-",
      datagramProject: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f",
      maxDatagramBytes: 4096,
      datagramWarningIntervalMs: 1000,
      adminToken: "a-long-admin-token",
      nodeId: "hub-a",
      limits: { max_frame_bytes: 2048, subscriber_queue_events: 50 },
      heartbeatMs: 500,
      pingTimeoutMs: 1000,
      helloTimeoutMs: 1000,
      sendTimeoutMs: 1000,
      slowConsumerGraceMs: 1000,
      closeGraceMs: 100,
      sendHighWaterBytes: 1000,
      sseRetryMs: 100,
      sseMaxLifetimeMs: 60000,
      ticketTtlMs: 1000,
      writeBatchMax: 10,
      fanOutSlice: 16,
      retainEvents: 100,
      retentionIntervalMs: 1000,
      logger: "warn",
      dashboardDir: "/srv/dashboard",
    });
    // Every key of the schema was in that file.
    expect(Object.keys(options)).toHaveLength(Object.keys(keys).length);
    // And the hub takes the result.
    expect(() => resolveOptions(options, {})).not.toThrow();
  });

  it("takes an empty file, or only comments, as no options; socket_path false as no socket", async () => {
    expect(await parseIn("")).toEqual({});
    expect(await parseIn("# nothing yet\n")).toEqual({});
    expect(await parseIn("socket_path: false\ndatagram_project: null\n")).toEqual({ socketPath: false, datagramProject: null });
  });

  it("loads a file from disk, relative paths from its directory", async () => {
    const file = join(dir, "hub.yaml");
    writeFileSync(file, "data_dir: ./store\nport: 0\n");
    expect(await loadHubConfig(file)).toEqual({ dataDir: join(dir, "store"), port: 0 });
  });
});

describe("refusing a config file", () => {
  it.each([
    ["limits:\n  max_frame_bytes: x\n", 'hub.yaml: limits.max_frame_bytes: expected a positive integer, received "x" (line 2)'],
    ["heartbeat_ms: 0\n", "hub.yaml: heartbeat_ms: expected a positive integer, received 0 (line 1)"],
    ["heartbeat_ms: 1.5\n", "hub.yaml: heartbeat_ms: expected a positive integer, received 1.5 (line 1)"],
    ['port: "8787"\n', 'hub.yaml: port: expected an integer from 0 to 65535, received "8787" (line 1)'],
    ["port: 70000\n", "hub.yaml: port: expected an integer from 0 to 65535, received 70000 (line 1)"],
    ["pg_lock_timeout_ms: -1\n", "hub.yaml: pg_lock_timeout_ms: expected a non-negative integer (0 turns it off), received -1 (line 1)"],
    ["database_url: mysql://db/events\n", 'hub.yaml: database_url: expected a postgres:// URL, received "mysql://db/events" (line 1)'],
    ["redis_url: http://redis\n", 'hub.yaml: redis_url: expected a redis:// or rediss:// URL, received "http://redis" (line 1)'],
    ["sqlite_synchronous: off\n", 'hub.yaml: sqlite_synchronous: expected one of "normal", "full", received "off" (line 1)'],
    ["socket_path: true\n", "hub.yaml: socket_path: expected a path, or false for none, received true (line 1)"],
    ["datagram_project: p1\n", 'hub.yaml: datagram_project: expected a project uuid, or null, received "p1" (line 1)'],
    ["max_datagram_bytes: 65535\n", "hub.yaml: max_datagram_bytes: expected an integer from 1 to 65534, received 65535 (line 1)"],
    ["log_level: verbose\n", 'hub.yaml: log_level: expected one of "silent", "error", "warn", "info", "debug", received "verbose" (line 1)'],
    ["data_dir: ''\n", 'hub.yaml: data_dir: expected a path, received "" (line 1)'],
    ["redis_url:\n", "hub.yaml: redis_url: expected a redis:// or rediss:// URL, received null (line 1)"],
    ["limits: 5\n", "hub.yaml: limits: expected a mapping of limits, received 5 (line 1)"],
    ["- port: 1\n", 'hub.yaml: expected a mapping of hub options, received [{"port":1}]'],
    ["bus_prefix: 'a b'\n", 'hub.yaml: bus_prefix: expected 1-64 letters, digits or _.:-, received "a b" (line 1)'],
  ])("%j", async (text, message) => {
    expect((await refusal(text)).message).toBe(message);
  });

  it("names an unknown key, and the key it may mean", async () => {
    const error = await refusal("host: 127.0.0.1\nheartbeatMs: 100\nheartbeat: 100\nlimits:\n  max_frame: 1\nfrobnicate: 1\n");
    expect(error.message.split("\n")).toEqual([
      "hub.yaml: heartbeatMs: unknown key; did you mean heartbeat_ms? (line 2)",
      "hub.yaml: heartbeat: unknown key; did you mean heartbeat_ms? (line 3)",
      "hub.yaml: limits.max_frame: unknown key; did you mean max_frame_bytes? (line 5)",
      "hub.yaml: frobnicate: unknown key; a known key; deploy/hub.yaml lists every one (line 6)",
    ]);
  });

  it("gives every problem as data: path, expected, received, line", async () => {
    const error = await refusal("port: x\nlimits:\n  max_event_bytes: -2\n");
    expect(error.code).toBe("config");
    expect(error.file).toBe("hub.yaml");
    expect(error.issues).toEqual([
      { path: "port", expected: "an integer from 0 to 65535", received: '"x"', line: 1 },
      { path: "limits.max_event_bytes", expected: "a positive integer", received: "-2", line: 3 },
    ]);
  });

  it("refuses YAML it cannot read, and a duplicate key, with the line", async () => {
    expect((await refusal("port: 1\nport: 2\n")).message).toBe("hub.yaml: expected valid YAML, received Map keys must be unique (line 2)");
    expect((await refusal("limits: [1\n")).message).toMatch(/^hub\.yaml: expected valid YAML, received .+ \(line \d\)$/);
  });

  it("refuses a file that is not there", async () => {
    const missing = join(dir, "nope.yaml");
    await expect(loadHubConfig(missing)).rejects.toThrow(`${missing}: expected a readable YAML file, received no such file`);
  });
});

describe("precedence: flag > environment > file > default", () => {
  const file: HubOptions = { port: 9000, host: "0.0.0.0", dataDir: "/srv/file", heartbeatMs: 500 };

  it("lets the environment override the file, and a flag override both", () => {
    expect(hubOptionsFrom({}, {}, file)).toMatchObject({ port: 9000, host: "0.0.0.0", dataDir: "/srv/file", heartbeatMs: 500 });
    expect(hubOptionsFrom({}, { PORT: "9001" }, file)).toMatchObject({ port: 9001, host: "0.0.0.0" });
    expect(hubOptionsFrom({ port: "9002" }, { PORT: "9001" }, file)).toMatchObject({ port: 9002, heartbeatMs: 500 });
    // What nothing sets stays the hub's default.
    expect(resolveOptions(hubOptionsFrom({}, {}, {}), {}).port).toBe(8787);
  });

  it("puts the default datagram socket in the data dir that wins, and keeps the file's own socket", () => {
    expect(hubOptionsFrom({}, {}, file).socketPath).toBe("/srv/file/events.sock");
    expect(hubOptionsFrom({}, { EVENTS_DATA_DIR: "/srv/env" }, file).socketPath).toBe("/srv/env/events.sock");
    expect(hubOptionsFrom({}, {}, { ...file, socketPath: "/run/file.sock" }).socketPath).toBe("/run/file.sock");
    expect(hubOptionsFrom({ socket: false }, {}, { ...file, socketPath: "/run/file.sock" }).socketPath).toBe(false);
    expect(hubOptionsFrom({}, {}, { databaseUrl: "postgres://db/events" }).socketPath).toBeUndefined();
  });
});

describe("the schema's defaults", () => {
  it("are the hub's own defaults", () => {
    const single = resolveOptions({}, {});
    const cluster = resolveOptions({ databaseUrl: "postgres://db/events", redisUrl: "redis://redis:6379" }, {});
    if (cluster.store.kind !== "postgres" || cluster.cluster === undefined || single.store.kind !== "sqlite") throw new Error("unexpected stores");
    const hub: Record<string, unknown> = {
      host: single.host,
      port: single.port,
      data_dir: single.store.file,
      sqlite_synchronous: single.store.synchronous,
      bus_prefix: cluster.cluster.prefix,
      bus_gap_wait_ms: cluster.cluster.gapWaitMs,
      bus_reorder_max_events: cluster.cluster.reorderMaxEvents,
      bus_max_message_bytes: cluster.cluster.maxMessageBytes,
      bus_catch_up_interval_ms: cluster.cluster.catchUpIntervalMs,
      bus_connect_timeout_ms: cluster.cluster.connectTimeoutMs,
      pg_lock_timeout_ms: cluster.store.timeouts.lockTimeoutMs,
      pg_statement_timeout_ms: cluster.store.timeouts.statementTimeoutMs,
      pg_idle_in_transaction_timeout_ms: cluster.store.timeouts.idleInTransactionTimeoutMs,
      control_prefix: single.controlPrefix,
      datagram_project: single.datagramProject,
      max_datagram_bytes: single.maxDatagramBytes,
      datagram_warning_interval_ms: single.datagramWarningIntervalMs,
      heartbeat_ms: single.heartbeatMs,
      ping_timeout_ms: single.pingTimeoutMs,
      hello_timeout_ms: single.helloTimeoutMs,
      send_timeout_ms: single.sendTimeoutMs,
      slow_consumer_grace_ms: single.slowConsumerGraceMs,
      close_grace_ms: single.closeGraceMs,
      send_high_water_bytes: single.sendHighWaterBytes,
      sse_retry_ms: single.sseRetryMs,
      sse_max_lifetime_ms: single.sseMaxLifetimeMs,
      ticket_ttl_ms: single.ticketTtlMs,
      write_batch_max: single.writeBatchMax,
      fan_out_slice: single.fanOutSlice,
      retention_interval_ms: single.retentionIntervalMs,
    };
    const documented = Object.fromEntries(
      Object.entries(keys).flatMap(([key, schema]) => {
        if (!("default" in schema)) return [];
        return [[key, key === "data_dir" ? join(resolve(String(schema.default)), "hub.db") : schema.default]];
      }),
    );
    expect(documented).toEqual(hub);
    const limits = Object.fromEntries(Object.entries(limitKeys).map(([key, schema]) => [key, schema.default]));
    expect(limits).toEqual({ ...DEFAULT_LIMITS });
    expect(single.limits).toEqual(limits);
  });

  it("cover every option of HubOptions, each of a type the hub takes", () => {
    expectTypeOf<Exclude<keyof HubOptions, keyof HubOptionsFromFile>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<keyof HubOptionsFromFile, keyof HubOptions>>().toEqualTypeOf<never>();
    expectTypeOf<HubOptionsFromFile>().toMatchTypeOf<HubOptions>();
    expectTypeOf<keyof NonNullable<HubOptionsFromFile["limits"]>>().toEqualTypeOf<keyof Limits>();
  });
});

describe("deploy/hub.yaml", () => {
  const text = readFileSync(EXAMPLE, "utf8");
  const shown = (key: string, indent = ""): string | undefined => new RegExp(`^#?${indent}${key}:(.*)$`, "m").exec(text)?.[1]?.trim();

  it("is a config the hub takes", async () => {
    expect(await loadHubConfig(EXAMPLE)).toEqual({ dataDir: "/var/lib/events" });
  });

  it("lists every option, each with a line on why, showing its default", () => {
    for (const [key, schema] of Object.entries(keys)) {
      const value = shown(key);
      expect(value, `${key} is missing from deploy/hub.yaml`).toBeDefined();
      expect(text, `${key} has no comment above it`).toMatch(new RegExp(`\\n\\s*# [^\\n]+\\n#?${key}:`));
      if ("default" in schema && key !== "data_dir" && key !== "limits") expect({ key, value: parse(value ?? "") }).toEqual({ key, value: schema.default });
    }
    for (const [key, schema] of Object.entries(limitKeys)) {
      expect({ key, value: parse(shown(key, "\\s+") ?? "") }).toEqual({ key, value: schema.default });
    }
  });

  it("still parses with every default uncommented, and means the hub's defaults", async () => {
    const withDefault = new Set([...Object.keys(keys).filter((key) => "default" in (keys[key] ?? {})), "limits", ...Object.keys(limitKeys)]);
    const uncommented = text.replace(/^#(\s*)([a-z_]+):/gm, (line, indent: string, key: string) => (withDefault.has(key) ? `${indent}${key}:` : line));
    const options = await parseHubConfig(uncommented, { file: "hub.yaml", baseDir: dir });
    const { dataDir: _dataDir, ...rest } = options;
    expect(resolveOptions(rest, {})).toEqual({ ...resolveOptions({}, {}), logger: expect.anything(), nodeId: expect.any(String) });
    expect(Object.keys(options).sort()).toEqual(
      [...withDefault].filter((key) => !(key in limitKeys)).map((key) => key.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase())).sort(),
    );
  });
});
