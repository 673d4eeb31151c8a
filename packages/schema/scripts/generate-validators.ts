/**
 * Compiles every message of the registry with Ajv, ahead of time, into plain
 * JavaScript (`src/generated/validators.ts`), so that importing the package compiles
 * nothing. Run by `pnpm generate`; a test fails when the committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateValidatorsSource } from "./validator-source.js";

const target = fileURLToPath(new URL("../src/generated/validators.ts", import.meta.url));
writeFileSync(target, generateValidatorsSource());
process.stdout.write(`wrote ${target}\n`);
