import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  codecs,
  decodeEnvelope,
  envelopeCodec,
  EVENT_TYPES,
  sessionFrameCodec,
  type MessageName,
} from "@events/schema";
import { fixtures } from "./fixtures.js";

const codecFor = (message: string) => codecs[message as MessageName];

describe("codec on the golden fixtures", () => {
  it.each(fixtures("valid").map((f) => [`${f.message}/${f.name}`, f] as const))("accepts %s", (_label, fixture) => {
    const result = codecFor(fixture.message).decode(fixture.value);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(codecFor(fixture.message).is(fixture.value)).toBe(true);
  });

  it.each(fixtures("invalid").map((f) => [`${f.message}/${f.name}`, f] as const))("rejects %s with issues", (_label, fixture) => {
    const codec = codecFor(fixture.message);
    const result = codec.decode(fixture.value);
    expect(result.ok).toBe(false);
    expect(codec.is(fixture.value)).toBe(false);
    if (result.ok) return;
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) {
      expect(issue.path).toMatch(/^(\/.*)?$/);
      expect(issue.expected.length).toBeGreaterThan(0);
      expect(issue.received.length).toBeGreaterThan(0);
      expect(issue.message).toContain(issue.expected);
    }
  });
});

describe("issues say where, what was expected and what came", () => {
  const base = fixtures("valid").find((f) => f.name === "wp-status-changed.json")!.value as Record<string, unknown>;

  it("names an unknown event_type and lists the known ones", () => {
    const result = decodeEnvelope({ ...base, event_type: "WPMoved" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    const [issue] = result.issues;
    expect(issue?.path).toBe("/event_type");
    expect(issue?.received).toContain("WPMoved");
    for (const type of EVENT_TYPES) expect(issue?.expected).toContain(type);
  });

  it("takes a tag named like an Object.prototype member for what it is: unknown", () => {
    for (const tag of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      const result = decodeEnvelope({ ...base, event_type: tag });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues.map((issue) => issue.path)).toEqual(["/event_type"]);
      expect(result.issues[0]?.received).toContain(tag);
    }
  });

  it("names an unknown kind nested in an envelope and lists the known ones", () => {
    const session = fixtures("valid").find((f) => f.name === "session-phase.json")!.value as Record<string, unknown>;
    const result = decodeEnvelope({ ...session, payload: { kind: "paused" } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ path: "/payload/kind", received: '"paused"' });
    expect(result.issues[0]?.expected).toContain("input_required");
  });

  it("reports every problem, not only the first", () => {
    const result = decodeEnvelope({ ...base, lamport_clock: 0, timestamp: "yesterday", extra: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path).sort()).toEqual(["/extra", "/lamport_clock", "/timestamp"]);
  });

  it("rejects a payload field repeated at envelope level (seed bug #1188)", () => {
    const result = decodeEnvelope({ ...base, to_lane: "done" });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(["/to_lane"]);
  });

  it("requires the phase of a failed frame (ExLabWizard's producer bug)", () => {
    const result = sessionFrameCodec.decode({ kind: "failed", error: { code: "E", message: "m" } });
    expect(result.ok ? [] : result.issues).toEqual([
      expect.objectContaining({ path: "/phase", expected: "a value (required)", received: "nothing" }),
    ]);
  });

  it("answers bad JSON text with an issue", () => {
    const result = envelopeCodec.decodeJson("{not json");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject({ path: "", expected: "JSON text" });
  });

  it("answers bytes that are not UTF-8 with an issue", () => {
    const result = envelopeCodec.decodeJson(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(result.ok).toBe(false);
  });
});

describe("lane aliases", () => {
  it("accepts doing and stores it as in_progress", () => {
    const alias = fixtures("valid").find((f) => f.name === "wp-status-changed-doing-alias.json")!.value;
    const result = decodeEnvelope(alias);
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.event_type !== "WPStatusChanged") throw new Error("expected a status change");
    expect(result.value.payload.to_lane).toBe("in_progress");
    expect((alias as { payload: { to_lane: string } }).payload.to_lane).toBe("doing");
  });
});

describe("encode is the inverse of decode", () => {
  it.each(fixtures("valid").map((f) => [`${f.message}/${f.name}`, f] as const))("round-trips %s", (_label, fixture) => {
    const codec = codecFor(fixture.message);
    const first = codec.decode(fixture.value);
    if (!first.ok) throw new Error("fixture should be valid");
    const again = codec.decodeJson(codec.encode(first.value as never));
    expect(again).toEqual(first);
  });
});

describe("decode never throws", () => {
  it("on any JSON value, for every codec", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...(Object.keys(codecs) as MessageName[])), (value, name) => {
        const result = codecs[name].decode(value);
        expect(typeof result.ok).toBe("boolean");
        expect(codecs[name].is(value)).toBe(result.ok);
      }),
      { numRuns: 3000 },
    );
  });

  it("on any JSON text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(typeof envelopeCodec.decodeJson(text).ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("on objects whose getters throw, and on non-JSON values", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("boom");
        },
        ownKeys() {
          throw new Error("boom");
        },
      },
    );
    for (const value of [hostile, { event_type: hostile }, Symbol("x"), () => 1, 10n, new Date(), new Map()]) {
      expect(envelopeCodec.decode(value).ok).toBe(false);
      expect(envelopeCodec.is(value)).toBe(false);
    }
  });

  it("on deeply nested JSON", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(envelopeCodec.decodeJson(deep).ok).toBe(false);
  });
});

describe("laneAlias", () => {
  it("knows every alias in LANE_ALIASES and nothing else", async () => {
    const { LANE_ALIASES, LANES, laneAlias } = await import("../src/lanes.js");
    for (const [alias, lane] of Object.entries(LANE_ALIASES)) expect(laneAlias(alias)).toBe(lane);
    for (const lane of LANES) expect(laneAlias(lane)).toBeUndefined();
  });
});
