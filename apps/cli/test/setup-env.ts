/**
 * Every `events` a test starts keeps its code cache (src/code-cache.ts) in a temporary
 * directory of this test file's, not in the user's ~/.cache: a test writes only where
 * it cleans up. Tests of the cache itself set EVENTS_CODE_CACHE per run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const cache = mkdtempSync(join(tmpdir(), "events-cli-code-cache-"));
process.env["EVENTS_CODE_CACHE"] = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));
