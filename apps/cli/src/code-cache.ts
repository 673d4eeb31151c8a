/**
 * V8's code cache for the command (dist/cli.js). Parsing and compiling the command's
 * JavaScript is most of what `events emit` costs above Node's own start; V8 can save
 * what it compiled and load it back instead (what Node 22's `module.enableCompileCache`
 * does, which Node 20 lacks). The cache is made at the exit of a run that had none,
 * after the command ran, so it holds the functions that the command compiled.
 *
 * It lives in the user's own cache directory, never a shared one: a code cache is
 * trusted input. Its name carries the build of cli.js, Node's version and the
 * architecture, and V8 checks it again on load; a cache that does not fit is
 * rejected, the command compiles as it would have without one, and a new cache is
 * written. Nothing here can fail the command: an error only costs the cache.
 *
 * The cache's first line also keeps where @events/sdk and @events/schema were found
 * (package-dirs.ts): their code is inside cli.js, but the SDK's syncer and SQLite
 * binding stay in their packages, and resolving a package costs 2-3 ms.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { packageDirs } from "./package-dirs.js";

/** Where the cache lives for this environment, or undefined when it is turned off. */
export function cacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const chosen = env["EVENTS_CODE_CACHE"];
  if (chosen !== undefined) return chosen === "" || chosen === "0" || chosen === "off" ? undefined : chosen;
  const home = env["EVENTS_HOME"];
  if (home !== undefined && home !== "") return join(home, "cache");
  const base = env["XDG_CACHE_HOME"];
  return join(base !== undefined && base !== "" ? base : join(homedir(), ".cache"), "events");
}

export interface CachedRun {
  /** The CommonJS file to run (dist/cli.js). */
  file: string;
  /** What identifies its content (a digest written in by the build). */
  build: string;
  /** The cache directory; undefined runs the file without a cache. */
  dir: string | undefined;
}

interface Header {
  /** Package directories by package name. */
  dirs?: Record<string, string>;
}

/** The cache file's name for this build and Node.js. */
export function cacheFileName(build: string): string {
  return `cli-${build}-${process.version}-${process.arch}.v8`;
}

/** Runs `file` as a CommonJS module, compiled from the cache when it fits. */
export function runCached({ file, build, dir }: CachedRun): void {
  const path = dir === undefined ? undefined : join(dir, cacheFileName(build));
  const cached = path === undefined ? undefined : readCache(path);
  const known = packageDirs();
  for (const [name, packageDir] of Object.entries(cached?.header.dirs ?? {})) {
    if (isDirectory(packageDir)) known.dirs.set(name, packageDir);
  }
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), {
    filename: file,
    ...(cached === undefined ? {} : { cachedData: cached.data }),
  });
  if (path !== undefined) {
    const stale = cached === undefined || script.cachedDataRejected === true;
    trace(`code cache ${path}: ${cached === undefined ? "none" : stale ? "rejected" : "used"}`);
    process.once("exit", () => {
      if (stale || known.added) trace(`code cache ${path}: ${writeCache(path, script, known.dirs) ? "written" : "not written"}`);
    });
  }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {}, filename: file, id: file, loaded: false };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

function readCache(path: string): { header: Header; data: Buffer } | undefined {
  try {
    const bytes = readFileSync(path);
    const end = bytes.indexOf(10);
    if (end < 0) return undefined;
    return { header: JSON.parse(bytes.toString("utf8", 0, end)) as Header, data: bytes.subarray(end + 1) };
  } catch {
    return undefined;
  }
}

function isDirectory(path: unknown): path is string {
  try {
    return typeof path === "string" && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** EVENTS_DEBUG's trace (`1`, `true`, `yes`), in the SDK's format. */
function trace(message: string): void {
  if (!/^(1|true|yes)$/i.test(process.env["EVENTS_DEBUG"] ?? "")) return;
  try {
    writeSync(2, `[events] debug +${performance.now().toFixed(1)}ms: ${message}\n`);
  } catch {
    // A trace is never worth failing the command.
  }
}

/** Written whole under a temporary name, then renamed: a reader never sees half a cache. Other builds' caches go. */
function writeCache(path: string, script: Script, dirs: ReadonlyMap<string, string>): boolean {
  try {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const header = `${JSON.stringify({ dirs: Object.fromEntries(dirs) } satisfies Header)}\n`;
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, Buffer.concat([Buffer.from(header), script.createCachedData()]), { mode: 0o600 });
    renameSync(temporary, path);
    const name = path.slice(dir.length + 1);
    for (const entry of readdirSync(dir)) {
      if (entry !== name && /^cli-.*\.v8$/.test(entry)) rmSync(join(dir, entry), { force: true });
    }
    return true;
  } catch {
    // Only the cache is lost: the next run compiles, as this one would have without it.
    return false;
  }
}
