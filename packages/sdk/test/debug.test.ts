import { describe, expect, it, vi } from "vitest";
import { captureLog } from "./helpers/capture-log.js";
import { testEmitter } from "./helpers/emitters.js";
import { PAYLOADS } from "./helpers/payloads.js";

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
});
