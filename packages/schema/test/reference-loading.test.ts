/**
 * The built package (what Node and bundlers load): its entry point carries only the
 * fast checks, and the reference validators that list a failure's issues are loaded
 * on the first failure; the browser build bundles them. Runs the build in fresh
 * processes, as a host would.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = (name: string): string => fileURLToPath(new URL(`../dist/${name}`, import.meta.url));
const INVALID = JSON.stringify({ event_type: "WPCreated", event_id: "not-a-ulid" });
const VALID = readFileSync(new URL("../fixtures/valid/Envelope/wp-created.json", import.meta.url), "utf8");

function run(code: string, flags: readonly string[] = []): unknown {
  const out = execFileSync(process.execPath, [...flags, "--input-type=module", "-e", code]).toString();
  return JSON.parse(out) as unknown;
}

/** Decodes a valid then an invalid envelope; reports which reference modules were required by then. */
const probe = (entry: string, prelude = ""): string => `
  import { createRequire } from "node:module";
  ${prelude}
  const { envelopeCodec } = await import(${JSON.stringify(entry)});
  const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => /reference\\.c?js$/.test(path));
  const valid = envelopeCodec.decode(${VALID});
  const afterValid = loaded();
  const invalid = envelopeCodec.decode(${INVALID});
  process.stdout.write(JSON.stringify({ valid: valid.ok, afterValid, invalid, afterInvalid: loaded() }));`;

/** Runs code that writes two JSON documents to stdout, one after the other. */
function runTwoJson(code: string): [unknown, unknown] {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code]).toString();
  const split = out.indexOf("}{") + 1;
  return [JSON.parse(out.slice(0, split)) as unknown, JSON.parse(out.slice(split)) as unknown];
}

interface Probe {
  valid: boolean;
  afterValid: string[];
  invalid: { ok: boolean; issues?: { path: string; expected: string }[] };
  afterInvalid: string[];
}

describe("the built package's reference validators", () => {
  it("are built", () => {
    for (const name of ["index.js", "index.browser.js", "generated/reference.cjs"]) {
      expect(existsSync(dist(name)), `dist/${name} is missing; run pnpm build`).toBe(true);
    }
  });

  it("stay out of the entry point and load on the first failure, with the issues", () => {
    expect(readFileSync(dist("index.js"), "utf8")).not.toContain("schemaPath");
    const result = run(probe(dist("index.js"))) as Probe;
    expect(result.valid).toBe(true);
    expect(result.afterValid).toEqual([]);
    expect(result.invalid.ok).toBe(false);
    expect(result.invalid.issues?.map((issue) => issue.path)).toContain("/event_id");
    expect(result.afterInvalid).toEqual([dist("generated/reference.cjs")]);
  });

  it("load on a Node that cannot require() an ES module (CommonJS, not the ES module twin)", () => {
    const result = run(probe(dist("index.js")), ["--no-experimental-require-module"]) as Probe;
    expect(result.invalid.issues?.map((issue) => issue.path)).toContain("/event_id");
  });

  it("are bundled into the browser build, which needs no Node API", () => {
    const result = run(probe(dist("index.browser.js"), "delete process.getBuiltinModule;")) as Probe;
    expect(result.valid).toBe(true);
    expect(result.invalid.issues?.map((issue) => issue.path)).toContain("/event_id");
    expect(result.afterInvalid).toEqual([]);
  });

  it("when they cannot be loaded, a failure is still a structured failure, and the reason is kept", () => {
    const code = `${probe(dist("index.js"), "delete process.getBuiltinModule;")}
      const { referenceUnavailable } = await import(${JSON.stringify(dist("index.js"))});
      process.stdout.write(JSON.stringify({ reason: String(referenceUnavailable()) }));`;
    const [first, second] = runTwoJson(code);
    const result = first as Probe;
    expect(result.valid).toBe(true);
    expect(result.invalid.ok).toBe(false);
    expect(result.invalid.issues).toEqual([expect.objectContaining({ path: "", expected: "a valid WPCreatedEvent" })]);
    // Fixed text for producers; the cause stays in the process.
    expect(JSON.stringify(result.invalid.issues)).not.toContain("getBuiltinModule");
    expect((second as { reason: string }).reason).toContain("getBuiltinModule");
  });
});
