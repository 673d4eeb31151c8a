/**
 * What a short host command pays for the SDK is mostly what it loads. These tests
 * run the built package (what a host imports) in fresh processes and hold the warm
 * path (the second command in a project) to loading only what it needs.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp-dir.js";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

const host = (entry: string): string => `
import { createRequire } from "node:module";
const { createEmitter } = await import(${JSON.stringify(entry)});
const result = createEmitter().emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed" });
const required = Object.keys(createRequire(import.meta.url).cache).map((path) => path.split("node_modules").pop());
process.stdout.write(JSON.stringify({
  ok: result.ok && result.durable,
  nodeId: result.ok ? result.event.node_id : null,
  builtins: process.moduleLoadList.filter((name) => name.startsWith("NativeModule")),
  required,
}));`;

interface HostReport {
  ok: boolean;
  nodeId: string | null;
  builtins: string[];
  required: string[];
}

function runHost(cwd: string, home: string, entry = dist): HostReport {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", host(entry)], {
    cwd,
    env: { ...process.env, EVENTS_HOME: home, EVENTS_DEBUG: "", EVENTS_SERVER_URL: "" },
  });
  return JSON.parse(out.toString()) as HostReport;
}

describe("a host command's start", () => {
  it("is built first", () => {
    expect(existsSync(dist), `${dist} is missing; run pnpm build`).toBe(true);
  });

  it("loads neither node:crypto, yaml nor the bindings search once the project identity exists", () => {
    const dir = tempDir();
    const home = join(dir, "home");
    const first = runHost(dir, home);
    expect(first.ok).toBe(true);
    // The first command creates the identity: a uuid (node:crypto) and a YAML file.
    expect(first.builtins).toContain("NativeModule crypto");

    const warm = runHost(dir, home);
    expect(warm.ok).toBe(true);
    expect(warm.nodeId).toBe(first.nodeId);
    expect(warm.builtins).not.toContain("NativeModule crypto");
    expect(warm.required.filter((path) => /[/\\](yaml|bindings|ulid)[/\\]/.test(path))).toEqual([]);
    expect(warm.required.some((path) => path.includes("better-sqlite3"))).toBe(true);
  });

  it("drives SQLite through the bundled wrapper, one file, not the package's dozen", () => {
    const dir = tempDir();
    const report = runHost(dir, join(dir, "home"));
    expect(report.ok).toBe(true);
    const sqliteFiles = report.required.filter((path) => path.includes("better-sqlite3") || path.endsWith(".node"));
    expect(sqliteFiles.some((path) => /dist[/\\]better-sqlite3-[\w.+-]+\.cjs$/.test(path))).toBe(true);
    expect(sqliteFiles.filter((path) => path.includes("/lib/"))).toEqual([]);
  });

  it("falls back to the better-sqlite3 package when the bundled wrapper is of another version", () => {
    // A copy of dist inside the real one (ignored by git and lint), so that it resolves the same node_modules.
    const copy = mkdtempSync(fileURLToPath(new URL("../dist/.version-test-", import.meta.url)));
    try {
      const built = fileURLToPath(new URL("../dist", import.meta.url));
      for (const name of readdirSync(built).filter((file) => /\.c?js$/.test(file))) copyFileSync(join(built, name), join(copy, name));
      const wrapper = readdirSync(copy).find((name) => /^better-sqlite3-.+\.cjs$/.test(name));
      expect(wrapper, "the build writes dist/better-sqlite3-<version>.cjs").toBeDefined();
      renameSync(join(copy, wrapper ?? ""), join(copy, "better-sqlite3-0.0.0-other.cjs"));
      const dir = tempDir();
      const report = runHost(dir, join(dir, "home"), join(copy, "index.js"));
      expect(report.ok).toBe(true);
      expect(report.required.some((path) => path.endsWith("better-sqlite3/lib/database.js"))).toBe(true);
      expect(report.required.filter((path) => path.endsWith(".cjs"))).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
