/**
 * Every issue's `received` is the value found at its `path` in what was decoded, as
 * JSON text cut at RECEIVED_MAX_CHARS, and never the validator's params. Invalid
 * values are made by mutating valid ones (every fixture, and every part of a fixture
 * some codec accepts) and driven through `decode` and `decodeJson` of every codec.
 * The expected text is computed by received-oracle.ts, independently of src/codec/received.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecs, envelopeCodec, issueCodec, PATH_MAX_CHARS, RECEIVED_MAX_CHARS, receivedText, type Codec, type Issue, type MessageName } from "@events/schema";
import { fixtures } from "./fixtures.js";
import { expectIssueHonest as expectHonest, expectReceivedIs, mutate, mutation, places } from "./received-oracle.js";

/** The oracle's check, and the codec's message says what came too. */
function expectIssueHonest(issue: Issue, root: unknown): void {
  expectHonest(issue, root);
  expect(issue.message).toContain(issue.received);
}

/** Valid values of each codec: the fixtures and every part of one that the codec accepts. */
function seedsByCodec(): Map<MessageName, unknown[]> {
  const seeds = new Map<MessageName, unknown[]>();
  const names = Object.keys(codecs) as MessageName[];
  for (const fixture of fixtures("valid")) {
    for (const path of places(fixture.value)) {
      const value = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], fixture.value);
      for (const name of names) if ((codecs[name] as Codec<unknown>).is(value)) seeds.set(name, [...(seeds.get(name) ?? []), value]);
    }
  }
  return seeds;
}

const SEEDS = seedsByCodec();
const NAMES = Object.keys(codecs) as MessageName[];

describe("received is the offending value, for every codec", () => {
  it("has valid seeds for every codec", () => {
    expect(NAMES.filter((name) => (SEEDS.get(name)?.length ?? 0) === 0)).toEqual([]);
  });

  it.each(NAMES)("%s: decode and decodeJson of mutated values", (name) => {
    const codec = codecs[name] as Codec<unknown>;
    const seeds = SEEDS.get(name) ?? [];
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (index, mutations) => {
        const input = mutations.reduce((value, next) => mutate(value, next), seeds[index]);
        const decoded = codec.decode(input);
        fc.pre(!decoded.ok);
        if (decoded.ok) return;
        for (const issue of decoded.issues) expectIssueHonest(issue, input);
        const text = JSON.stringify(input);
        const fromJson = codec.decodeJson(text);
        if (fromJson.ok) throw new Error("decodeJson accepted what decode refused");
        // JSON text drops nothing the mutations make, so the same value is checked.
        for (const issue of fromJson.issues) expectIssueHonest(issue, JSON.parse(text));
      }),
      { numRuns: 100, seed: 14 },
    );
  });

  it("answers JSON text that does not parse with the text itself", () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.string({ maxLength: RECEIVED_MAX_CHARS * 2 }), (name, text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        fc.pre(!parses);
        const decoded = codecs[name].decodeJson(text);
        expect(decoded.ok).toBe(false);
        if (decoded.ok) return;
        expect(decoded.issues).toHaveLength(1);
        expect(decoded.issues[0]?.path).toBe("");
        expectReceivedIs(decoded.issues[0]?.received ?? "", JSON.stringify(text));
      }),
      { numRuns: 100, seed: 14 },
    );
  });
});

describe("received for each kind of check", () => {
  const valid = (message: string, name: string): Record<string, unknown> =>
    structuredClone(fixtures("valid").find((f) => f.message === message && f.name === name)!.value) as Record<string, unknown>;
  const machine = valid("Envelope", "machine-state-change.json");
  const machinePayload = machine["payload"] as Record<string, Record<string, unknown>>;
  const cases: [string, MessageName, unknown, Partial<Issue>][] = [
    ["required", "ClientFrame", { type: "hello" }, { path: "/protocol", received: "nothing" }],
    ["additionalProperties", "ClientFrame", { ...valid("ClientFrame", "ping.json"), extra: { deep: [1] } }, { path: "/extra", received: '{"deep":[1]}' }],
    ["type", "ClientFrame", { ...valid("ClientFrame", "subscribe.json"), since: "12" }, { path: "/since", received: '"12"' }],
    ["minimum", "Envelope", { ...valid("Envelope", "minimal.json"), lamport_clock: 0 }, { path: "/lamport_clock", received: "0" }],
    ["pattern", "Envelope", { ...valid("Envelope", "minimal.json"), project_uuid: "not-a-uuid" }, { path: "/project_uuid", expected: "a UUID", received: '"not-a-uuid"' }],
    ["maxLength", "ClientFrame", { ...valid("ClientFrame", "subscribe.json"), sub: "s".repeat(300) }, { path: "/sub", received: `"${"s".repeat(RECEIVED_MAX_CHARS - 1)}…(+46 more)` }],
    ["minItems", "EventResult", { status: "rejected", event_id: null, index: 0, issues: [] }, { path: "/issues", received: "[]" }],
    ["enum", "BatchResponse", { results: [{ status: "gone", event_id: "x", seq: 1 }], lamport_clock: 1 }, { path: "/results/0/status", received: '"gone"' }],
    ["anyOf branches", "Envelope", { ...machine, payload: { ...machinePayload, payload: { ...machinePayload["payload"], timestamp: true } } }, { path: "/payload/payload/timestamp", received: "true" }],
  ];

  it.each(cases)("%s", (_keyword, name, input, wanted) => {
    const result = codecs[name].decode(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual(expect.objectContaining(wanted));
    for (const issue of result.issues) expectIssueHonest(issue, input);
  });

  it("says the size of a value too long or too short in the message", () => {
    const result = codecs.ClientFrame.decode({ ...valid("ClientFrame", "subscribe.json"), sub: "s".repeat(300) });
    expect(result.ok ? [] : result.issues.map((issue) => issue.message)).toEqual([expect.stringMatching(/\(300 characters\)$/)]);
  });
});

describe("receivedText", () => {
  it("writes JSON text, `nothing` when absent, and names what JSON cannot write", () => {
    expect(receivedText("not-a-uuid")).toBe('"not-a-uuid"');
    expect(receivedText({ a: [1, null] })).toBe('{"a":[1,null]}');
    expect(receivedText(undefined)).toBe("nothing");
    expect(receivedText(Number.NaN)).toBe("NaN");
    expect(receivedText(12n)).toBe("12n");
    expect(receivedText(() => 1)).toBe("a function");
    const cycle: Record<string, unknown> = {};
    cycle["self"] = cycle;
    expect(receivedText(cycle)).toMatch(/^a value JSON cannot write \(.+\)$/);
  });

  it("cuts at RECEIVED_MAX_CHARS and says how much was left out", () => {
    const long = "x".repeat(RECEIVED_MAX_CHARS * 2);
    expect(receivedText(long)).toBe(`"${"x".repeat(RECEIVED_MAX_CHARS - 1)}…(+${RECEIVED_MAX_CHARS + 2} more)`); // the quotes count
    // The cut never splits a surrogate pair.
    const astral = receivedText("😀".repeat(RECEIVED_MAX_CHARS));
    expect(astral.startsWith(`"${"😀".repeat((RECEIVED_MAX_CHARS - 2) / 2)}…`)).toBe(true);
    expect(RECEIVED_MAX_CHARS + "…(+99999 more)".length).toBeLessThanOrEqual(4096); // the wire's cap on received
  });

  it("takes the unknown tag of a union as what was received, naming it in the message", () => {
    const result = codecs.ClientFrame.decode({ type: "nope", ref: "r" });
    expect(result.ok ? [] : result.issues).toEqual([
      expect.objectContaining({ path: "/type", received: '"nope"', message: expect.stringContaining("an unknown type") as string }),
    ]);
  });
});

describe("issue paths", () => {
  it("cuts a path past PATH_MAX_CHARS, so an issue about a huge property name still fits the wire", () => {
    const envelope = structuredClone(fixtures("valid").find((f) => f.message === "Envelope" && f.name === "minimal.json")!.value) as { payload: Record<string, unknown> };
    const name = "x".repeat(5_000);
    envelope.payload[name] = 1;
    const result = envelopeCodec.decode(envelope);
    expect(result.ok).toBe(false);
    const issue = result.ok ? undefined : result.issues.find((item) => item.path.startsWith("/payload/xxx"));
    expect(issue?.path).toBe(`/payload/${"x".repeat(PATH_MAX_CHARS - 9)}…(+${5_009 - PATH_MAX_CHARS} more)`);
    expect(issueCodec.decode(issue).ok).toBe(true);
  });
});
