/**
 * The packages as a user gets them from npm: packed, installed into a project outside
 * the workspace that has none of our devDependencies, then type-checked, imported,
 * run and linted there. One install serves every check.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsumerProject, declarationFiles, PUBLISHED, run, type ConsumerProject, type RunResult } from "./consumer-project.js";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const BIN = new URL("../node_modules/.bin/", import.meta.url).pathname;

let project: ConsumerProject;

beforeAll(async () => {
  project = await createConsumerProject();
  for (const file of ["consumer.ts", "smoke.mjs"]) copyFileSync(new URL(file, FIXTURES), join(project.dir, file));
});

afterAll(() => {
  if (process.env.EVENTS_KEEP_CONSUMER === "1") console.log(`consumer project kept at ${project?.dir}`);
  else project?.remove();
});

function report(result: RunResult): string {
  return `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
}

/** Module names in a declaration file: imports, re-exports, `import()` types, type references. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\(\s*|<reference\s+types=)["']([^"'.][^"']*)["']/g;

describe("the published types, in a consumer without our devDependencies", () => {
  // Every .d.ts in the tarballs is a root file, not only those an import reaches:
  // a declaration nobody imports today is one export away from being public.
  const tsconfig = (moduleOptions: Record<string, string>): string => {
    const files = ["consumer.ts", ...PUBLISHED.flatMap(({ name }) => declarationFiles(project.installed[name], project.dir))];
    const compilerOptions = { strict: true, skipLibCheck: false, noEmit: true, target: "es2022", types: ["node"], ...moduleOptions };
    return JSON.stringify({ compilerOptions, files }, null, 2);
  };

  it.each([
    ["nodenext", { module: "nodenext", moduleResolution: "nodenext" }],
    ["bundler", { module: "preserve", moduleResolution: "bundler" }],
  ])("type-check with tsc --strict and skipLibCheck: false under %s resolution", async (label, moduleOptions) => {
    writeFileSync(join(project.dir, `tsconfig.${label}.json`), tsconfig(moduleOptions));
    const result = await run(process.execPath, [join(project.dir, "node_modules/typescript/bin/tsc"), "-p", `tsconfig.${label}.json`], {
      cwd: project.dir,
      timeoutMs: 120_000,
    });
    expect(result.code, report(result)).toBe(0);
  });

  it("name no module the package does not depend on, nor types that come from its devDependencies", () => {
    const problems: string[] = [];
    for (const { name } of PUBLISHED) {
      const dir = project.installed[name];
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
      const runtime = new Set([name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
      const devOnly = new Set(Object.keys(manifest.devDependencies ?? {}).filter((dep) => !runtime.has(dep)));
      for (const file of declarationFiles(dir, dir)) {
        const text = readFileSync(join(dir, file), "utf8");
        for (const [, specifier] of text.matchAll(SPECIFIER)) {
          if (specifier === undefined || isBuiltin(specifier)) continue;
          const bare = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
          const typesPackage = `@types/${bare.replace(/^@([^/]+)\//, "$1__")}`;
          if (!runtime.has(bare)) problems.push(`${name}/${file}: "${specifier}" is not a dependency`);
          else if (devOnly.has(typesPackage)) problems.push(`${name}/${file}: "${specifier}" is typed by ${typesPackage}, a devDependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("at run time, from plain Node", () => {
  it("imports every entry point, and the SDK stores an event durably", async () => {
    const result = await run(process.execPath, ["smoke.mjs"], { cwd: project.dir, timeoutMs: 30_000 });
    expect(result.code, report(result)).toBe(0);
    const summary = JSON.parse(result.stdout) as { exported: Record<string, number>; emit: unknown; waiting: number; unsent: number };
    for (const [entry, count] of Object.entries(summary.exported)) expect(count, entry).toBeGreaterThan(0);
    expect(summary.emit).toEqual({ ok: true, durable: true, lane: "in_progress" });
    expect(summary.waiting).toBe(1);
    expect(summary.unsent).toBe(0);
  });

  it("runs the CLI's bin: --help, --version, and an event stored in a fresh home", async () => {
    const events = join(project.dir, "node_modules/.bin/events");
    const env = { PATH: process.env.PATH, HOME: project.dir, EVENTS_HOME: join(project.dir, ".events-home"), NO_COLOR: "1" };
    const help = await run(events, ["--help"], { cwd: project.dir, timeoutMs: 30_000, env });
    expect(help.code, report(help)).toBe(0);
    expect(help.stdout).toContain("Usage: events");
    const version = await run(events, ["--version"], { cwd: project.dir, timeoutMs: 30_000, env });
    const manifest = JSON.parse(readFileSync(join(project.installed["@events/cli"], "package.json"), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(manifest.version);
    const emitted = await run(events, ["wp", "status", "WP01", "--from", "planned", "--to", "doing", "--feature", "001-demo", "--json"], {
      cwd: project.dir,
      timeoutMs: 30_000,
      env,
    });
    expect(emitted.code, report(emitted)).toBe(0);
    expect(JSON.parse(emitted.stdout)).toMatchObject({ event_type: "WPStatusChanged", lamport_clock: 1, payload: { to_lane: "in_progress" } });
    // The first run left its code cache in the home, and the emit ran from it: the
    // installed command found the SDK's own files (its SQLite binding) from npm's layout.
    const traced = await run(events, ["wp", "status", "WP01", "--to", "doing", "--feature", "001-demo"], {
      cwd: project.dir,
      timeoutMs: 30_000,
      env: { ...env, EVENTS_DEBUG: "1" },
    });
    expect(traced.code, report(traced)).toBe(0);
    expect(traced.stderr).toMatch(/code cache \S+\/\.events-home\/cache\/cli-\S+\.v8: used/);
    expect(traced.stderr).toContain("routed to outbox");
  });
});

describe.each(PUBLISHED.map(({ name }) => [name]))("%s's tarball", (name) => {
  it("passes publint --strict", async () => {
    const result = await run(join(BIN, "publint"), ["run", project.tarballs[name], "--strict"], { cwd: project.dir, timeoutMs: 60_000 });
    expect(result.code, report(result)).toBe(0);
  });

  // ESM only, on purpose: no `require` condition, so attw's node10 and node16-from-CJS
  // resolutions are not ours to pass (README, "Packages"); ESM under node16 and bundlers must.
  it("has no problem attw finds for ESM consumers (--profile esm-only)", async () => {
    const result = await run(join(BIN, "attw"), [project.tarballs[name], "--profile", "esm-only", "--format", "table-flipped", "--no-color"], {
      cwd: project.dir,
      timeoutMs: 60_000,
    });
    expect(result.code, report(result)).toBe(0);
  });
});
