/**
 * Position tokens and stream ids as a Python user sees them: Debian's
 * python3-jsonschema on the exported SseReadyData, ClientFrame and SseGapData
 * documents gives every token (written by `formatPosition`, hand-picked bad ones and
 * random text) the verdict our codec gives, except the one difference the README
 * names: Python's `$` also matches before a final newline.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_PROJECT_STREAM, codecs, formatPosition, type MessageName } from "@events/schema";
import { EXPORT_DIR, exportWorkspace, missingTool, requireTool } from "./toolchain.js";

const PYTHON = "/usr/bin/python3";
const DRIVER = fileURLToPath(new URL("./jsonschema_verdicts.py", import.meta.url));
const jsonschemaMissing = missingTool(PYTHON, ["-c", "import jsonschema"], `Debian's python3-jsonschema (${PYTHON} with jsonschema)`);

const PROJECT = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: length, maxLength: length });
const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join("-"));
const stream = fc.oneof(fc.constant(NO_PROJECT_STREAM), uuid);
const written = fc
  .array(fc.tuple(stream, fc.integer({ min: 0, max: 999_999_999_999_999 })), { maxLength: 6 })
  .map((pairs) => formatPosition(new Map(pairs)));
const pieces = fc
  .array(fc.oneof(stream, fc.constantFrom(":", ",", "1", "0", " ", "x", "\n", "-1"), fc.nat().map(String)), { maxLength: 8 })
  .map((parts) => parts.join(""));

const TOKENS = [
  "",
  "-:1",
  `-:3,${PROJECT}:42`,
  `${PROJECT.toUpperCase()}:1`,
  `-:${"9".repeat(15)}`,
  `-:${"9".repeat(16)}`,
  "42",
  "spec-kitty:4",
  "-:1,",
  `-:1;${PROJECT}:2`,
  "-:1.5",
  "-:1\n",
  ...fc.sample(written, { numRuns: 150, seed: 17 }),
  ...fc.sample(pieces, { numRuns: 150, seed: 17 }),
];

/** Python's verdict on each value, against one exported document. */
function python(dir: string, message: string, values: readonly unknown[]): boolean[] {
  const file = join(dir, `${message}-values.json`);
  writeFileSync(file, JSON.stringify(values));
  const output = execFileSync(PYTHON, [DRIVER, "--each", join(dir, EXPORT_DIR, `${message}.schema.json`), file], { encoding: "utf8" });
  return (JSON.parse(output) as { verdicts: boolean[] }).verdicts;
}

/** What a Python user gets: our codec's verdict, or true for a final newline on an otherwise valid text. */
function expected(message: MessageName, value: unknown, text: string, withoutNewline: (text: string) => unknown): boolean {
  if (codecs[message].is(value)) return true;
  return text.endsWith("\n") && codecs[message].is(withoutNewline(text.slice(0, -1)));
}

describe("Python's jsonschema on positions and streams", () => {
  let workspace: Awaited<ReturnType<typeof exportWorkspace>>;

  beforeAll(async () => {
    workspace = await exportWorkspace();
  });
  afterAll(() => workspace.remove());

  it("gives SseReadyData.position the codec's verdict on every token", (context) => {
    requireTool(context, jsonschemaMissing);
    const ready = (position: string) => ({ position, heartbeat_ms: 15_000 });
    const verdicts = python(workspace.dir, "SseReadyData", TOKENS.map(ready));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(150);
    expect(verdicts[TOKENS.indexOf("-:1\n")], "the README's one difference").toBe(true);
    for (const [index, token] of TOKENS.entries()) {
      expect(verdicts[index], JSON.stringify(token)).toBe(expected("SseReadyData", ready(token), token, ready));
    }
  });

  it("gives subscribe.since the codec's verdict on every token and on protocol-1 integers", (context) => {
    requireTool(context, jsonschemaMissing);
    const subscribe = (since: unknown) => ({ type: "subscribe", sub: "s1", since });
    const sinces: unknown[] = [...TOKENS, 0, 120, -5, 1.5, null];
    const verdicts = python(workspace.dir, "ClientFrame", sinces.map(subscribe));
    for (const [index, since] of sinces.entries()) {
      const want = typeof since === "string" ? expected("ClientFrame", subscribe(since), since, subscribe) : codecs.ClientFrame.is(subscribe(since));
      expect(verdicts[index], JSON.stringify(since)).toBe(want);
    }
    expect(verdicts.slice(-5)).toEqual([true, true, false, false, false]);
  });

  it("gives a gap's stream the codec's verdict on every stream id", (context) => {
    requireTool(context, jsonschemaMissing);
    const gap = (stream: string) => ({ stream, from_seq: 1, to_seq: 2, reason: "slow_consumer" });
    const streams = [...fc.sample(stream, { numRuns: 50, seed: 17 }), "", "--", "spec-kitty", PROJECT.slice(1), `${PROJECT}x`, `${PROJECT}\n`, "-\n"];
    const verdicts = python(workspace.dir, "SseGapData", streams.map(gap));
    for (const [index, id] of streams.entries()) {
      expect(verdicts[index], JSON.stringify(id)).toBe(expected("SseGapData", gap(id), id, gap));
    }
  });
});
