/**
 * The seed documents the project grew from live beside the repository
 * (`../shared/seeds/`), not in it: they are other projects' prose. Tests that prove
 * each seed example works read the examples from there, so an example the document
 * has and the test forgot fails the test. Without the documents (a clone on its own)
 * such a test fails under CI and is skipped elsewhere, saying what is missing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where the seed documents are looked for: `$EVENTS_SEEDS_DIR`, else `../shared/seeds` beside the repository. */
export const SEEDS_DIR = process.env["EVENTS_SEEDS_DIR"] ?? join(REPO_ROOT, "..", "shared", "seeds");

/**
 * The text of the seed document that contains `marker`, or undefined when the seed
 * documents are not beside this checkout (an error under CI=true: CI always has them).
 */
export function seedDocument(marker: string): string | undefined {
  if (!existsSync(SEEDS_DIR)) {
    if (process.env["CI"] === "true") throw new Error(`the seed documents are missing: expected them in ${SEEDS_DIR} (set EVENTS_SEEDS_DIR)`);
    console.warn(`skipping the check against the seed documents: ${SEEDS_DIR} is missing (set EVENTS_SEEDS_DIR)`);
    return undefined;
  }
  for (const name of readdirSync(SEEDS_DIR).sort()) {
    const text = readFileSync(join(SEEDS_DIR, name), "utf8");
    if (text.includes(marker)) return text;
  }
  throw new Error(`no seed document in ${SEEDS_DIR} contains ${JSON.stringify(marker)}`);
}

/** Every call `name(...)` in `text` whose name matches, with its arguments' source (balanced parentheses). */
export function callsIn(text: string, name: RegExp): { name: string; source: string }[] {
  const calls: { name: string; source: string }[] = [];
  const pattern = new RegExp(`(?<![\\w.])(${name.source})\\(`, "g");
  for (const match of text.matchAll(pattern)) {
    let depth = 0;
    const start = match.index + match[0].length;
    for (let at = start - 1; at < text.length; at++) {
      const char = text[at];
      if (char === "(") depth++;
      else if (char === ")" && --depth === 0) {
        calls.push({ name: match[1]!, source: text.slice(start, at) });
        break;
      }
    }
  }
  return calls;
}
