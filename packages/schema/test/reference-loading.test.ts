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

function run(code: string): unknown {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code]).toString();
  return JSON.parse(out) as unknown;
}

/** Decodes a valid then an invalid envelope; reports which reference modules were required by then. */
const probe = (entry: string, prelude = ""): string => `
  import { createRequire } from "node:module";
  ${prelude}
  const { envelopeCodec } = await import(${JSON.stringify(entry)});
  const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.endsWith("reference.js"));
  const valid = envelopeCodec.decode(${VALID});
  const afterValid = loaded();
  const invalid = envelopeCodec.decode(${INVALID});
  process.stdout.write(JSON.stringify({ valid: valid.ok, afterValid, invalid, afterInvalid: loaded() }));`;

interface Probe {
  valid: boolean;
  afterValid: string[];
  invalid: { ok: boolean; issues?: { path: string; expected: string }[] };
  afterInvalid: string[];
}

describe("the built package's reference validators", () => {
  it("are built", () => {
    for (const name of ["index.js", "index.browser.js", "generated/reference.js"]) {
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
    expect(result.afterInvalid).toEqual([dist("generated/reference.js")]);
  });

  it("are bundled into the browser build, which needs no Node API", () => {
    const result = run(probe(dist("index.browser.js"), "delete process.getBuiltinModule;")) as Probe;
    expect(result.valid).toBe(true);
    expect(result.invalid.issues?.map((issue) => issue.path)).toContain("/event_id");
    expect(result.afterInvalid).toEqual([]);
  });

  it("when they cannot be loaded, a failure is still a structured failure", () => {
    const result = run(probe(dist("index.js"), "delete process.getBuiltinModule;")) as Probe;
    expect(result.valid).toBe(true);
    expect(result.invalid.ok).toBe(false);
    expect(result.invalid.issues).toEqual([
      expect.objectContaining({ path: "", expected: "a valid WPCreatedEvent" }),
    ]);
  });
});
