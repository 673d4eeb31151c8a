import { EVENT_TYPES, envelopeCodec, type EventType } from "@events/schema";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createEmitter, generateCausationId, getEmitter } from "../src/index.js";
import { captureLog } from "./helpers/capture-log.js";
import { testEmitter } from "./helpers/emitters.js";
import { PAYLOADS } from "./helpers/payloads.js";
import { readOutbox } from "./helpers/queue-db.js";
import { tempWorkspace } from "./helpers/temp-dir.js";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("emit", () => {
  it("stores every event type in queue.db before returning, exactly as it returns it", () => {
    const emitter = testEmitter();
    const returned = EVENT_TYPES.map((type) => {
      const result = emitter.emit(type, PAYLOADS[type], { aggregateId: type === "SessionEvent" ? "sess-1" : undefined } as never);
      expect(result.ok, type).toBe(true);
      return result.ok ? result.event : undefined;
    });
    const rows = readOutbox(emitter.paths.home);
    expect(rows).toHaveLength(EVENT_TYPES.length);
    for (const [index, row] of rows.entries()) {
      const event = returned[index]!;
      expect(JSON.parse(row.data)).toEqual(event);
      expect(envelopeCodec.decode(JSON.parse(row.data)).ok).toBe(true);
      expect(row.lamport).toBe(index + 1);
      expect(event.schema_version).toBe("1.0.0");
      expect(event.team_slug).toBe("local");
      expect(event.node_id).toMatch(/^[0-9a-f]{12}$/);
      expect(event.event_id).toMatch(ULID);
      expect(event.project_uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.timestamp).toMatch(/Z$/);
    }
  });

  it("reports durability and keeps ids in emit order", () => {
    const emitter = testEmitter();
    const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const second = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(first).toMatchObject({ ok: true, durable: true, duplicate: false });
    expect(first.ok && second.ok && first.event.event_id < second.event.event_id).toBe(true);
  });

  it("stores the canonical lane when the caller uses the doing alias", () => {
    const emitter = testEmitter();
    const result = emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: "doing", to_lane: "for_review" });
    expect(result.ok && result.event.payload.from_lane).toBe("in_progress");
    expect(JSON.parse(readOutbox(emitter.paths.home)[0]!.data).payload.from_lane).toBe("in_progress");
  });

  it("returns the issues of an invalid event and queues nothing", () => {
    const emitter = testEmitter();
    const result = emitter.emitWpCreated({ wp_id: "WP1", title: "", feature_slug: "sdk", dependencies: [] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("invalid");
    expect(result.issues?.map((issue) => issue.path).sort()).toEqual(["/payload/feature_slug", "/payload/title", "/payload/wp_id"]);
    expect(result.message).toContain("/payload/wp_id");
    expect(emitter.outbox.size()).toBe(0);
  });

  it("never throws, whatever a caller passes", () => {
    const emitter = testEmitter();
    const log = captureLog();
    const hostile = new Proxy({}, { get: () => { throw new Error("trap"); }, has: () => { throw new Error("trap"); }, ownKeys: () => { throw new Error("trap"); } });
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const inputs: Array<[unknown, unknown]> = [
      [undefined, undefined],
      [null, null],
      ["WPStatusChanged", hostile],
      ["WPStatusChanged", { get wp_id(): string { throw new Error("getter"); } }],
      ["MachineEvent", { source: "cli", target: "ui", type: "custom", payload: cyclic }],
      ["MachineEvent", { source: "cli", target: "ui", type: "custom", payload: { big: 10n } }],
      [Symbol("x"), 1],
      ["NoSuchType", {}],
      // Event types that cannot even be printed (found by the property below).
      [{ toString: "" }, []],
      [{ toString: () => { throw new Error("toString"); } }, {}],
      [Object.create(null), {}],
    ];
    for (const [type, payload] of inputs) {
      const result = emitter.emit(type as EventType, payload as never);
      expect(result.ok).toBe(false);
    }
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.anything()), fc.anything(), (type, payload) => {
        emitter.emit(type as EventType, payload as never);
      }),
      { numRuns: 300 },
    );
    expect(log.warnings()).toEqual([]);
  });

  it("reports a cyclic payload as an issue, not as a crash", () => {
    const emitter = testEmitter();
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const result = emitter.sendMachineEvent({ target: "ui", type: "custom", payload: cyclic });
    expect(result).toMatchObject({ ok: false, reason: "invalid" });
    expect(!result.ok && result.issues?.[0]?.path).toBe("/payload");
  });
});

describe("helpers", () => {
  it("derive the aggregate of each work event from its payload", () => {
    const emitter = testEmitter();
    const cases = [
      [emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged), "WorkPackage", "WP01"],
      [emitter.emitWpCreated(PAYLOADS.WPCreated), "WorkPackage", "WP02"],
      [emitter.emitWpAssigned(PAYLOADS.WPAssigned), "WorkPackage", "WP02"],
      [emitter.emitFeatureCreated(PAYLOADS.FeatureCreated), "Feature", "001-sdk"],
      [emitter.emitFeatureCompleted(PAYLOADS.FeatureCompleted), "Feature", "001-sdk"],
      [emitter.emitHistoryAdded(PAYLOADS.HistoryAdded), "WorkPackage", "WP02"],
      [emitter.emitErrorLogged(PAYLOADS.ErrorLogged), "WorkPackage", "WP02"],
      [emitter.emitErrorLogged({ error_type: "network", error_message: "hub unreachable" }), "Error", "error"],
      [emitter.emitDependencyResolved(PAYLOADS.DependencyResolved), "WorkPackage", "WP02"],
    ] as const;
    for (const [result, aggregateType, aggregateId] of cases) {
      expect(result.ok && [result.event.aggregate_type, result.event.aggregate_id]).toEqual([aggregateType, aggregateId]);
    }
  });

  it("send a machine event with the send-event defaults", () => {
    const emitter = testEmitter();
    const result = emitter.sendMachineEvent({ target: "face-processor", type: "new_job", payload: { image: "a.png" }, jobId: "j1" });
    expect(result.ok && result.event).toMatchObject({
      event_type: "MachineEvent",
      aggregate_type: "Machine",
      aggregate_id: "face-processor",
      payload: { source: "cli", target: "face-processor", type: "new_job", job_id: "j1", payload: { image: "a.png" } },
    });
    const bare = emitter.sendMachineEvent({ target: "ui", type: "job_started" });
    expect(bare.ok && bare.event.payload).toEqual({ source: "cli", target: "ui", type: "job_started", job_id: null, payload: {} });
    // A realtime type's payload has a fixed shape.
    expect(emitter.sendMachineEvent({ target: "ui", type: "state_change", payload: { from_state: "a" } }).ok).toBe(false);
  });

  it("emit a session's frames on its channel and refuse frames after it ends", () => {
    const emitter = testEmitter();
    const session = emitter.session("sess-42");
    const results = [
      session.phase("validating_inputs"),
      session.progress("running_plugins", 1, 3),
      session.inputRequired({ fields: [{ name: "path" }], reason: "need a path" }),
      session.warning("running_plugins", "slow"),
      session.done({ path: "/x" }),
    ];
    expect(results.map((result) => result.ok && [result.event.aggregate_id, result.event.payload.kind])).toEqual([
      ["sess-42", "phase"],
      ["sess-42", "progress"],
      ["sess-42", "input_required"],
      ["sess-42", "warning"],
      ["sess-42", "done"],
    ]);
    const late = session.failed("writing_cache", { code: "late", message: "too late" });
    expect(late).toMatchObject({ ok: false, reason: "invalid" });
    expect(!late.ok && late.issues?.[0]?.path).toBe("/payload/kind");
    expect(emitter.outbox.size()).toBe(5);
  });

  it("keep a session open when its final frame is invalid", () => {
    const emitter = testEmitter();
    const session = emitter.session("sess-43");
    expect(session.failed("", { code: "x", message: "y" }).ok).toBe(false);
    expect(session.failed("running_plugins", { code: "x", message: "y" }).ok).toBe(true);
  });

  it("publish a problems snapshot stamped with the audit time", () => {
    const emitter = testEmitter({ now: () => Date.parse("2026-11-20T10:00:00.000Z") });
    const result = emitter.publishProblems([{ rule: "missing-readme", offending_path: "/a", severity: "warning" }]);
    expect(result.ok && result.event).toMatchObject({
      event_type: "ProblemsSnapshot",
      aggregate_type: "Problems",
      aggregate_id: "problems",
      payload: { audit_at: "2026-11-20T10:00:00.000Z", findings: [{ rule: "missing-readme" }] },
    });
  });
});

describe("causation and correlation", () => {
  it("stamps the emitter's correlation id unless an emit passes its own", () => {
    const correlationId = generateCausationId();
    const emitter = testEmitter({ correlationId });
    const causationId = emitter.generateCausationId();
    expect(causationId).toMatch(ULID);
    expect(causationId).not.toBe(emitter.generateCausationId());
    const own = generateCausationId();
    const stamped = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { causationId });
    const overridden = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { correlationId: own });
    const cleared = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { correlationId: null });
    expect(stamped.ok && [stamped.event.causation_id, stamped.event.correlation_id]).toEqual([causationId, correlationId]);
    expect(overridden.ok && overridden.event.correlation_id).toBe(own);
    expect(cleared.ok && cleared.event.correlation_id).toBeNull();
  });

  it("rejects a correlation id that is not a ULID", () => {
    const emitter = testEmitter();
    const result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { correlationId: "run-1" });
    expect(!result.ok && result.issues?.[0]?.path).toBe("/correlation_id");
  });
});

describe("dedup by event id", () => {
  it("stores an event id once and does not spend a clock value on the repeat", () => {
    const emitter = testEmitter();
    const eventId = generateCausationId();
    const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged, { eventId });
    const again = emitter.emitWpStatusChanged({ ...PAYLOADS.WPStatusChanged, to_lane: "blocked" }, { eventId });
    expect(again).toMatchObject({ ok: true, duplicate: true, durable: true });
    expect(again.ok && again.event).toEqual(first.ok && first.event);
    const next = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(next.ok && next.event.lamport_clock).toBe(2);
    expect(emitter.outbox.size()).toBe(2);
  });
});

describe("lifecycle", () => {
  it("refuses emits after close and reports nothing unsent when all was written", async () => {
    const emitter = testEmitter();
    emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    await expect(emitter.close()).resolves.toEqual({ unsent: [] });
    expect(emitter.closed).toBe(true);
    expect(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged)).toMatchObject({ ok: false, reason: "closed" });
    await expect(emitter.close()).resolves.toEqual({ unsent: [] });
  });

  it("getEmitter shares one emitter per process, honouring EVENTS_HOME, and replaces a closed one", async () => {
    const { home, projectRoot } = tempWorkspace();
    vi.stubEnv("EVENTS_HOME", home);
    try {
      const shared = getEmitter({ projectRoot, exitHook: false });
      expect(getEmitter()).toBe(shared);
      expect(shared.home).toBe(home);
      await shared.close();
      const next = getEmitter({ projectRoot, exitHook: false });
      expect(next).not.toBe(shared);
      await next.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("creates an emitter without touching the disk", () => {
    const { home, projectRoot } = tempWorkspace();
    createEmitter({ home, projectRoot, exitHook: false });
    expect(() => readOutbox(home)).toThrow();
  });
});
