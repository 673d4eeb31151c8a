/**
 * What a short host command pays for the SDK is mostly what it loads. These tests
 * run the built package (what a host imports) in fresh processes and hold the warm
 * path (the second command in a project) to loading only what it needs.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp-dir.js";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

const HOST = `
import { createRequire } from "node:module";
const { createEmitter } = await import(${JSON.stringify(dist)});
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

function runHost(cwd: string, home: string): HostReport {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", HOST], {
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
});
