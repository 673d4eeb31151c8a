/**
 * The built `events` compiles its command from V8's code cache (src/code-cache.ts):
 * written once at the exit of a run that had none, used by every later run, replaced
 * when V8 rejects it, and never a reason for a command to fail. EVENTS_DEBUG=1 says
 * what happened to the cache, so these tests read that trace.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./run-cli.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "events-code-cache-"));
  dirs.push(dir);
  return dir;
}

/** `events ...args` with the cache in `cache`, tracing. */
function events(cache: string, args: readonly string[]): Promise<CliResult> {
  return runCli(args, { env: { EVENTS_CODE_CACHE: cache, EVENTS_DEBUG: "1", EVENTS_HOME: join(cache, "..", "home") } });
}

/** What the trace says of the cache: "none", "used", "rejected", then "written" or "not written" at exit. */
function cacheTrace(result: CliResult): string[] {
  return [...result.stderr.matchAll(/code cache (\S+): (none|used|rejected|written|not written)/g)].map((match) => match[2]!);
}

function cacheFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith(".v8"));
}

describe("the built events command's code cache", () => {
  it("is written, private to the user, at the exit of the first run and used by the next ones", async () => {
    const cache = join(scratch(), "cache", "events");
    const first = await events(cache, ["--version"]);
    expect(first.code).toBe(0);
    expect(cacheTrace(first)).toEqual(["none", "written"]);
    const [file] = cacheFiles(cache);
    expect(file).toMatch(new RegExp(`^cli-[0-9a-f]{16}-${process.version.replaceAll(".", "\\.")}-${process.arch}\\.v8$`));
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, file!)).mode & 0o777).toBe(0o600);

    const second = await events(cache, ["--version"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(cacheTrace(second)).toEqual(["used"]);
  });

  it("runs commands that import the hub's and the schema's modules from a cached compile", async () => {
    const cache = join(scratch(), "cache");
    expect(cacheTrace(await events(cache, ["--version"]))).toEqual(["none", "written"]);
    // schema export reaches @events/schema/export through import(), which a vm.Script
    // compiled from a cache cannot do by itself (the entry's import() does it).
    const out = join(cache, "..", "out");
    const exported = await events(cache, ["schema", "export", "--out", out, "--json"]);
    expect(exported.stderr).not.toContain("error");
    expect(exported.code).toBe(0);
    expect(cacheTrace(exported)[0]).toBe("used");
    expect(readdirSync(out)).toContain("Envelope.schema.json");
    const badConfig = await events(cache, ["serve", "--config", join(cache, "missing.yaml")]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("missing.yaml");
  });

  it("replaces a cache that V8 rejects, and the command runs as without one", async () => {
    const cache = scratch();
    await events(cache, ["--version"]);
    const [file] = cacheFiles(cache);
    const path = join(cache, file!);
    const header = readFileSync(path).subarray(0, readFileSync(path).indexOf(10) + 1);
    writeFileSync(path, Buffer.concat([header, Buffer.alloc(4096, 7)]));
    const rejected = await events(cache, ["--version"]);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cacheTrace(rejected)).toEqual(["rejected", "written"]);
    expect(cacheTrace(await events(cache, ["--version"]))).toEqual(["used"]);
  });

  it("takes a cache whose first line is not its header for no cache", async () => {
    const cache = scratch();
    await events(cache, ["--version"]);
    const [file] = cacheFiles(cache);
    writeFileSync(join(cache, file!), "not json\nat all");
    const result = await events(cache, ["--version"]);
    expect(result.code).toBe(0);
    expect(cacheTrace(result)).toEqual(["none", "written"]);
  });

  it("removes the caches of other builds when it writes its own", async () => {
    const cache = scratch();
    const other = `cli-0123456789abcdef-${process.version}-${process.arch}.v8`;
    writeFileSync(join(cache, other), "{}\nold");
    writeFileSync(join(cache, "notes.txt"), "not ours");
    await events(cache, ["--version"]);
    expect(cacheFiles(cache)).toHaveLength(1);
    expect(cacheFiles(cache)).not.toContain(other);
    expect(readdirSync(cache)).toContain("notes.txt");
  });

  it("is not made with EVENTS_CODE_CACHE=off", async () => {
    const home = scratch();
    const result = await runCli(["--version"], { env: { EVENTS_CODE_CACHE: "off", EVENTS_DEBUG: "1", EVENTS_HOME: home, XDG_CACHE_HOME: home } });
    expect(result.code).toBe(0);
    expect(cacheTrace(result)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  });

  it("costs only the cache where it cannot be written", async () => {
    const blocked = join(scratch(), "a-file");
    writeFileSync(blocked, "");
    const result = await events(join(blocked, "cache"), ["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cacheTrace(result)).toEqual(["none", "not written"]);
  });

  it("lives in EVENTS_HOME/cache, else XDG_CACHE_HOME/events, when EVENTS_CODE_CACHE does not say", async () => {
    const root = scratch();
    const home = join(root, "home");
    mkdirSync(home);
    await runCli(["--version"], { env: { EVENTS_CODE_CACHE: undefined, EVENTS_HOME: home } });
    expect(cacheFiles(join(home, "cache"))).toHaveLength(1);
    const xdg = join(root, "xdg");
    await runCli(["--version"], { env: { EVENTS_CODE_CACHE: undefined, EVENTS_HOME: undefined, XDG_CACHE_HOME: xdg } });
    expect(cacheFiles(join(xdg, "events"))).toHaveLength(1);
  });
});
