import { describe, expect, it } from "vitest";
import { HUB_ENV, hubOptionsFrom, hubOptionsFromEnv, resolveOptions } from "../src/index.js";

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

  it("leaves range checks to resolveOptions, which names the bad value", () => {
    expect(() => resolveOptions(hubOptionsFromEnv({ PORT: "eighty" }))).toThrow(/port/);
    const postgres = { EVENTS_DATABASE_URL: "postgres://127.0.0.1/test" };
    expect(() => resolveOptions(hubOptionsFromEnv({ ...postgres, EVENTS_PG_LOCK_TIMEOUT_MS: "-1" }))).toThrow(/lockTimeoutMs/);
    expect(() => resolveOptions(hubOptionsFromEnv({ ...postgres, EVENTS_PG_LOCK_TIMEOUT_MS: "soon" }))).toThrow(/lockTimeoutMs/);
  });
});
