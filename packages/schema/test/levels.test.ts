import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACTIVITY_LEVEL_ALIASES,
  ACTIVITY_LEVEL_PATTERN,
  ACTIVITY_LEVELS,
  canonicalActivityLevel,
  decodeEnvelope,
  type Envelope,
} from "@events/schema";
import { fixtures } from "./fixtures.js";

const activityLog = fixtures("valid").find((f) => f.message === "Envelope" && f.name === "machine-activity-log.json")!.value as Envelope;

function withLevel(level: unknown): unknown {
  const envelope = structuredClone(activityLog) as { payload: { payload: Record<string, unknown> } };
  envelope.payload.payload["level"] = level;
  return envelope;
}

function levelOf(envelope: Envelope): unknown {
  return envelope.event_type === "MachineEvent" ? envelope.payload.payload["level"] : undefined;
}

describe("activity levels", () => {
  it.each([
    ["SUCCESS", "success"],
    ["INFO", "info"],
    ["Info", "info"],
    ["wArNiNg", "warning"],
    ["WARN", "warning"],
    ["error", "error"],
    ["DEBUG", "debug"],
  ])("accepts %s and stores it as %s, leaving the input as sent", (sent, stored) => {
    const input = withLevel(sent);
    const result = decodeEnvelope(input);
    expect(result.ok).toBe(true);
    if (result.ok) expect(levelOf(result.value)).toBe(stored);
    expect(levelOf(input as Envelope)).toBe(sent);
  });

  it("refuses a level that is none of them, naming the path and the value", () => {
    const result = decodeEnvelope(withLevel("LOUD"));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((issue) => issue.path)).toContain("/payload/payload/level");
      expect(result.issues.some((issue) => issue.received.includes("LOUD"))).toBe(true);
    }
  });

  it("returns an already canonical envelope as it came (no copy)", () => {
    const input = withLevel("info");
    const result = decodeEnvelope(input);
    expect(result.ok && result.value).toBe(input);
  });

  it("the schema's pattern and the canonical mapping agree on any string", () => {
    const pattern = new RegExp(ACTIVITY_LEVEL_PATTERN, "u");
    const spellings = [...ACTIVITY_LEVELS, ...Object.keys(ACTIVITY_LEVEL_ALIASES)];
    const recased = fc
      .tuple(fc.constantFrom(...spellings), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))
      .map(([word, upper]) => [...word].map((c, i) => (upper[i % 8] ? c.toUpperCase() : c)).join(""));
    fc.assert(
      fc.property(fc.oneof(recased, fc.string({ maxLength: 10 }), fc.string({ unit: "binary", maxLength: 10 })), (value) => {
        expect(canonicalActivityLevel(value) !== undefined).toBe(pattern.test(value));
      }),
      { numRuns: 2_000 },
    );
  });
});
