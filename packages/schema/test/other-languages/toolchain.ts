/**
 * What the other-language tests share: the export written into a temp dir as
 * `pnpm schema:export` writes it, the README's quicktype script run there with the
 * pinned quicktype-core (its command lines must be the README's), the golden fixtures
 * by message, and interpreters that are either found, or skip the test with a message
 * (fail it under CI).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { codecs, type MessageName } from "@events/schema";
import { topLevelMessages, writeSchemaExport } from "@events/schema/export";
import { fixtures, type Fixture } from "../fixtures.js";

const QUICKTYPE_CORE = dirname(createRequire(import.meta.url).resolve("quicktype-core/package.json"));

/** The quicktype-core the tests run, the version the README's `npm install quicktype-core@…` names. */
export const QUICKTYPE_VERSION = (JSON.parse(readFileSync(join(QUICKTYPE_CORE, "package.json"), "utf8")) as { version: string }).version;

export const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** Where the README's commands write the export, relative to where they run. */
export const EXPORT_DIR = "events-schema";
const SCRIPT = "quicktype-events.mjs";

/** The README's generator script: the fenced block that opens with its file name. */
export const README_SCRIPT = README.split("```js\n")
  .find((block) => block.startsWith(`// ${SCRIPT}`))
  ?.split("```")[0];

/** The file each language is generated into, by the README's commands. */
export const GENERATED = { python: "events_types.py", go: "events.go", typescript: "events.ts" } as const;

/** The command line the README documents for a language. */
export function documentedCommand(lang: keyof typeof GENERATED): string {
  return `node ${SCRIPT} ${lang} ${GENERATED[lang]}`;
}

/** A temp dir holding the export under `EXPORT_DIR`; `remove()` deletes it. */
export async function exportWorkspace(): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "events-other-languages-"));
  await writeSchemaExport(join(dir, EXPORT_DIR));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs the README's script in `dir` (with quicktype-core linked into its
 * `node_modules`, as `npm install quicktype-core@<version>` would put it) for `lang`.
 */
export function generate(dir: string, lang: keyof typeof GENERATED): void {
  if (README_SCRIPT === undefined) throw new Error(`the README has no js block that opens with // ${SCRIPT}`);
  writeFileSync(join(dir, SCRIPT), README_SCRIPT);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(QUICKTYPE_CORE, join(dir, "node_modules", "quicktype-core"), "dir");
  execFileSync(process.execPath, [SCRIPT, lang, GENERATED[lang]], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Valid fixtures grouped by message, for every top-level message that has any. */
export function validFixturesByMessage(): [string, Fixture[]][] {
  const names = new Set(topLevelMessages().map(({ name }) => name));
  const byMessage = new Map<string, Fixture[]>();
  for (const fixture of fixtures("valid")) {
    if (!names.has(fixture.message)) throw new Error(`fixtures/valid/${fixture.message} is not a top-level message`);
    byMessage.set(fixture.message, [...(byMessage.get(fixture.message) ?? []), fixture]);
  }
  return [...byMessage.entries()];
}

/** Our codec's verdict, the truth the other languages are held to. */
export function codecAccepts(message: string, value: unknown): { ok: boolean; issues: string[] } {
  const result = codecs[message as MessageName].decode(value);
  return result.ok ? { ok: true, issues: [] } : { ok: false, issues: result.issues.map((issue) => issue.message) };
}

/** Why `command args` cannot run here, or undefined when it can. */
export function missingTool(command: string, args: readonly string[], what: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: "utf8" });
  if (probe.error === undefined && probe.status === 0) return undefined;
  return `${what} (\`${[command, ...args].join(" ")}\` ${probe.error?.message ?? `exited ${String(probe.status)}: ${probe.stderr.trim()}`})`;
}

const reported = new Set<string>();

/** Skips the test with a message naming what is missing (said once), or fails it under CI. */
export function requireTool(context: { skip: (note?: string) => void }, missing: string | undefined): void {
  if (missing === undefined) return;
  const note = `${missing} is not available`;
  if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${note}; CI requires it`);
  if (!reported.has(note)) process.stderr.write(`skipped: ${note}\n`);
  reported.add(note);
  context.skip(note);
}
