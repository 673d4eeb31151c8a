import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateSources } from "../scripts/validator-source.js";

const committed = (name: string): string => readFileSync(new URL(`../src/generated/${name}`, import.meta.url), "utf8");

describe("generated validators", () => {
  const sources = generateSources();

  it("are up to date with the schemas (run `pnpm --filter @events/schema generate`)", () => {
    expect(committed("validators.ts") === sources.validators, "src/generated/validators.ts is stale").toBe(true);
    expect(committed("reference.js") === sources.reference, "src/generated/reference.js is stale").toBe(true);
    expect(committed("reference.cjs") === sources.referenceCjs, "src/generated/reference.cjs is stale").toBe(true);
  });

  it("import nothing but the package's own formats", () => {
    expect(committed("validators.ts").match(/^import .*$/gm)).toEqual(['import { FORMATS as __formats } from "../formats.js";']);
    expect(committed("validators.ts")).not.toMatch(/\brequire\(/);
    expect(committed("reference.js")).not.toMatch(/\bimport\b|\brequire\(/);
    expect(committed("reference.cjs")).not.toMatch(/\bimport\b|\brequire\(/);
  });

  it("keep the reference validators out of the module every import parses", () => {
    expect(committed("validators.ts")).not.toContain("schemaPath");
    expect(committed("reference.js")).toContain('schemaPath:"#/required"');
    expect(committed("reference.cjs")).toMatch(/module\.exports ?= ?\{ ?reference/);
  });
});
