import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { defaultSocketPath, HUB_ENV, hubOptionsFrom, hubOptionsFromEnv, resolveOptions } from "../src/index.js";

describe("hub settings from the environment and flags", () => {
  it("reads every documented variable, numbers as numbers, and ignores empty ones", () => {
    const env = {
      EVENTS_HOST: "0.0.0.0",
      PORT: "9001",
      EVENTS_DATA_DIR: "/var/lib/events",
      EVENTS_DATABASE_URL: "postgres://127.0.0.1/test",
      EVENTS_REDIS_URL: "redis://127.0.0.1:6379",
      EVENTS_BUS_PREFIX: "team-a",
      EVENTS_NODE_ID: "hub-2",
      EVENTS_SOCKET: "/run/events.sock",
      EVENTS_CONTROL_DIR: "/tmp",
      EVENTS_CONTROL_PREFIX: "statemachine-control-",
      EVENTS_DASHBOARD_DIR: "/srv/dashboard",
      EVENTS_PG_LOCK_TIMEOUT_MS: "2500",
      EVENTS_PG_STATEMENT_TIMEOUT_MS: "0",
      EVENTS_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: "",
    };
    expect(hubOptionsFromEnv(env)).toEqual({
      host: "0.0.0.0",
      port: 9001,
      dataDir: "/var/lib/events",
      databaseUrl: "postgres://127.0.0.1/test",
      redisUrl: "redis://127.0.0.1:6379",
      busPrefix: "team-a",
      nodeId: "hub-2",
      socketPath: "/run/events.sock",
      controlDir: "/tmp",
      controlPrefix: "statemachine-control-",
      dashboardDir: "/srv/dashboard",
      pgLockTimeoutMs: 2500,
      pgStatementTimeoutMs: 0,
    });
    // Every variable the table names is read.
    expect(Object.keys(HUB_ENV).every((name) => name in env)).toBe(true);
  });

  it("lets flags win, treats empty flags as not given, and turns the socket off with false", () => {
    const env = { PORT: "9001", EVENTS_REDIS_URL: "redis://127.0.0.1:6379", EVENTS_SOCKET: "/run/a.sock" };
    expect(hubOptionsFrom({ port: "9002", redisUrl: "", socket: false, nodeId: "n1" }, env)).toEqual({
      port: 9002,
      redisUrl: "redis://127.0.0.1:6379",
      socketPath: false,
      nodeId: "n1",
    });
  });

  it("gives a hub run from the command line a datagram socket in its own data dir, on SQLite only", () => {
    expect(hubOptionsFrom({ dataDir: "/var/lib/events-a" }, {}).socketPath).toBe("/var/lib/events-a/events.sock");
    expect(hubOptionsFrom({}, {}).socketPath).toBe(join(process.cwd(), ".events-hub", "events.sock"));
    expect(hubOptionsFrom({}, { EVENTS_DATA_DIR: "/srv/b" }).socketPath).toBe("/srv/b/events.sock");
    // statemachine-engine's own path is one flag (or variable) away.
    expect(hubOptionsFrom({ socket: "/tmp/statemachine-events.sock" }, {}).socketPath).toBe("/tmp/statemachine-events.sock");
    expect(hubOptionsFrom({}, { EVENTS_SOCKET: "/tmp/statemachine-events.sock" }).socketPath).toBe("/tmp/statemachine-events.sock");
    expect(hubOptionsFrom({ socket: false }, {}).socketPath).toBe(false);
    // Cluster nodes often share a working directory: no default socket on PostgreSQL.
    expect(hubOptionsFrom({ databaseUrl: "postgres://127.0.0.1/test" }, {}).socketPath).toBeUndefined();
  });

  it("moves a socket whose path would be too long for a bind to the runtime dir, still one per data dir", () => {
    const deep = `/srv/${"d".repeat(120)}`;
    const path = defaultSocketPath(deep, { XDG_RUNTIME_DIR: "/run/user/1000" });
    expect(path).toMatch(/^\/run\/user\/1000\/events-[0-9a-f]{12}\.sock$/);
    expect(defaultSocketPath(`${deep}x`, { XDG_RUNTIME_DIR: "/run/user/1000" })).not.toBe(path);
    expect(defaultSocketPath("/srv/short", {})).toBe("/srv/short/events.sock");
  });

  it("leaves range checks to resolveOptions, which names the bad value", () => {
    expect(() => resolveOptions(hubOptionsFromEnv({ PORT: "eighty" }))).toThrow(/port/);
    const postgres = { EVENTS_DATABASE_URL: "postgres://127.0.0.1/test" };
    expect(() => resolveOptions(hubOptionsFromEnv({ ...postgres, EVENTS_PG_LOCK_TIMEOUT_MS: "-1" }))).toThrow(/lockTimeoutMs/);
    expect(() => resolveOptions(hubOptionsFromEnv({ ...postgres, EVENTS_PG_LOCK_TIMEOUT_MS: "soon" }))).toThrow(/lockTimeoutMs/);
  });
});
