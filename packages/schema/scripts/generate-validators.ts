/**
 * Compiles every message of the registry with Ajv, ahead of time, into plain
 * JavaScript: the boolean checks (`src/generated/validators.ts`) and the reference
 * validators (`src/generated/reference.cjs`, and `.js` for browsers), so that importing the package compiles
 * nothing. Run by `pnpm generate`; a test fails when a committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateSources } from "./validator-source.js";

const sources = generateSources();
for (const [name, text] of [
  ["validators.ts", sources.validators],
  ["reference.js", sources.reference],
  ["reference.cjs", sources.referenceCjs],
] as const) {
  const target = fileURLToPath(new URL(`../src/generated/${name}`, import.meta.url));
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
