/**
 * A project outside the workspace that uses the published packages as a user would:
 * each package packed with `pnpm pack` (which turns `workspace:*` into versions),
 * the tarballs installed by npm with nothing of ours besides them but `typescript`
 * and `@types/node`. Built once per run; it removes itself.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The published packages, by the directory they are built in. */
export const PUBLISHED = [
  { name: "@events/schema", dir: "packages/schema" },
  { name: "@events/client", dir: "packages/client" },
  { name: "@events/sdk", dir: "packages/sdk" },
  { name: "@events/server", dir: "packages/server" },
  { name: "@events/cli", dir: "apps/cli" },
] as const;

export type PackageName = (typeof PUBLISHED)[number]["name"];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or `timeoutMs`), never rejecting: the caller asserts on the result. */
export function run(command: string, args: readonly string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        const killed = error?.killed === true ? `\n(killed after ${options.timeoutMs} ms)` : "";
        resolve({ code, stdout, stderr: stderr + killed });
      },
    );
  });
}

/**
 * npm's environment: the user's registry, cache and proxy settings, without what the
 * package manager running this test sets for its own scripts (`npm_command`,
 * pnpm's `npm_config_*`), which would reconfigure the consumer's npm.
 */
const NPM_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^p?npm_/i.test(key) || /^npm_config_(registry|cache|userconfig|https?_proxy|noproxy|cafile|strict_ssl)$/i.test(key)),
);

async function runOrThrow(command: string, args: readonly string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.code}) in ${options.cwd}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface ConsumerProject {
  /** The temp project, with node_modules. */
  dir: string;
  tarballs: Record<PackageName, string>;
  /** Where npm put each package: exactly its tarball's contents. */
  installed: Record<PackageName, string>;
  remove(): void;
}

/** The version of a package, and its directory, as resolved from `from` (a directory). */
function resolvedPackage(name: string, from: string): { version: string; dir: string } {
  const manifest = createRequire(join(from, "package.json")).resolve(`${name}/package.json`);
  return { version: (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version, dir: dirname(manifest) };
}

/**
 * better-sqlite3's install script compiles SQLite (about a minute of both cores here,
 * where no prebuilt binary can be downloaded). npm runs without scripts, and the addon
 * pnpm already built for the workspace, the same version for this same Node, is put
 * where the package builds it. Another version is built by its own script.
 */
async function provideSqliteAddon(dir: string): Promise<void> {
  const consumer = resolvedPackage("better-sqlite3", join(dir, "node_modules", "@events", "sdk"));
  const workspace = resolvedPackage("better-sqlite3", join(ROOT, "packages/sdk"));
  const built = join(workspace.dir, "build", "Release", "better_sqlite3.node");
  if (consumer.version === workspace.version && existsSync(built)) {
    mkdirSync(join(consumer.dir, "build", "Release"), { recursive: true });
    copyFileSync(built, join(consumer.dir, "build", "Release", "better_sqlite3.node"));
    return;
  }
  await runOrThrow("npm", ["rebuild", "better-sqlite3"], { cwd: dir, timeoutMs: 300_000, env: NPM_ENV });
}

export async function createConsumerProject(): Promise<ConsumerProject> {
  const dir = mkdtempSync(join(tmpdir(), "events-consumer-"));
  try {
    const packs = join(dir, "tarballs");
    mkdirSync(packs);
    const tarballs = {} as Record<PackageName, string>;
    for (const { name, dir: packageDir } of PUBLISHED) {
      const out = await runOrThrow("pnpm", ["pack", "--json", "--pack-destination", packs], { cwd: join(ROOT, packageDir), timeoutMs: 60_000 });
      tarballs[name] = (JSON.parse(out) as { filename: string }).filename;
    }
    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`);
    const typescript = resolvedPackage("typescript", ROOT).version;
    await runOrThrow(
      "npm",
      ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...Object.values(tarballs), `typescript@${typescript}`, "@types/node@20"],
      { cwd: project, timeoutMs: 240_000, env: NPM_ENV },
    );
    await provideSqliteAddon(project);
    const installed = Object.fromEntries(PUBLISHED.map(({ name }) => [name, join(project, "node_modules", name)])) as Record<PackageName, string>;
    return { dir: project, tarballs, installed, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Every `.d.ts` a package publishes, relative to `from`. */
export function declarationFiles(packageDir: string, from: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".d.ts")) found.push(relative(from, path));
    }
  };
  walk(packageDir);
  return found.sort();
}
