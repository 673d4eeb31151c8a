import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateValidatorsSource } from "../scripts/validator-source.js";

describe("generated validators", () => {
  it("are up to date with the schemas (run `pnpm --filter @events/schema generate`)", () => {
    const committed = readFileSync(new URL("../src/generated/validators.ts", import.meta.url), "utf8");
    expect(committed === generateValidatorsSource(), "src/generated/validators.ts is stale").toBe(true);
  });

  it("import nothing but the package's own formats", () => {
    const committed = readFileSync(new URL("../src/generated/validators.ts", import.meta.url), "utf8");
    expect(committed.match(/^import .*$/gm)).toEqual(['import { FORMATS as __formats } from "../formats.js";']);
    expect(committed).not.toMatch(/\brequire\(/);
  });
});
