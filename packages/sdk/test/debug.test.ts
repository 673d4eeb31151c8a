import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { captureLog } from "./helpers/capture-log.js";
import { testEmitter } from "./helpers/emitters.js";
import { PAYLOADS } from "./helpers/payloads.js";
import { tempDir } from "./helpers/temp-dir.js";

describe("EVENTS_DEBUG", () => {
  it("traces each emit's validation, identity, clock and routing on stderr", () => {
    vi.stubEnv("EVENTS_DEBUG", "1");
    try {
      const log = captureLog();
      const emitter = testEmitter();
      emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
      emitter.emitWpCreated({ ...PAYLOADS.WPCreated, wp_id: "nope" });
      const [stored, invalid] = log.debugs().filter((line) => line.startsWith("emit "));
      expect(stored).toMatch(/^emit WPStatusChanged [0-9A-Z]{26}: valid; project \S+ [0-9a-f-]{36}, node [0-9a-f]{12}, team local, branch -; clock 1; routed to outbox \S+queue\.db, channel events$/);
      expect(invalid).toMatch(/^emit WPCreated: invalid, not queued \(\/payload\/wp_id: expected/);
      expect(log.warnings()).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("prints nothing at all otherwise, not even for invalid events", () => {
    vi.stubEnv("EVENTS_DEBUG", "");
    try {
      const log = captureLog();
      const emitter = testEmitter();
      emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
      emitter.emitWpCreated({ ...PAYLOADS.WPCreated, wp_id: "nope" });
      emitter.outbox.ack(emitter.outbox.claim(10).map((row) => row.id));
      expect(log.lines).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("lets an option override the environment", () => {
    vi.stubEnv("EVENTS_DEBUG", "1");
    try {
      const log = captureLog();
      testEmitter({ debug: false }).emitWpStatusChanged(PAYLOADS.WPStatusChanged);
      expect(log.lines).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("stamps each line on stderr with the milliseconds since the process started", () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const dir = tempDir();
    const host = `const { createEmitter } = await import(${JSON.stringify(dist)});
      createEmitter({ autoSync: false }).emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed" });`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", host], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, EVENTS_HOME: join(dir, "home"), EVENTS_DEBUG: "1", EVENTS_SERVER_URL: "" },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^\[events\] debug \+\d+\.\dms: emit WPStatusChanged [0-9A-Z]{26}: valid;/m);
  });
});
