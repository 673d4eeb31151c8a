/**
 * One release line: `changeset version`, run on a copy of the workspace's manifests and
 * pending changesets (never on the workspace: it would consume them), moves the four
 * published packages to one version together (the `fixed` group in
 * .changeset/config.json) and writes each one's CHANGELOG; private packages stay put.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLISHED, run, type RunResult } from "./consumer-project.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WORKSPACE_DIRS = ["packages", "apps", "tests"];

let copy: string;
let versioned: RunResult;
const before = new Map<string, string>();

function manifest(dir: string): { name: string; version: string; private?: boolean } {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string; private?: boolean };
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), "events-release-"));
  for (const file of ["package.json", "pnpm-workspace.yaml", ".changeset"]) cpSync(join(ROOT, file), join(copy, file), { recursive: true });
  for (const parent of WORKSPACE_DIRS) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      const dir = join(parent, entry.name);
      if (!entry.isDirectory() || !existsSync(join(ROOT, dir, "package.json"))) continue;
      mkdirSync(join(copy, dir), { recursive: true });
      for (const file of ["package.json", "CHANGELOG.md"]) if (existsSync(join(ROOT, dir, file))) cpSync(join(ROOT, dir, file), join(copy, dir, file));
      before.set(dir, manifest(join(copy, dir)).version);
    }
  }
  const bin = join(ROOT, "node_modules/@changesets/cli/bin.js");
  versioned = await run(process.execPath, [bin, "version"], { cwd: copy, timeoutMs: 60_000 });
});

afterAll(() => {
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
});

describe("changeset version", () => {
  it("consumes every pending changeset", () => {
    expect(versioned.code, `${versioned.stdout}\n${versioned.stderr}`).toBe(0);
    expect(readdirSync(join(copy, ".changeset")).filter((file) => file.endsWith(".md") && file !== "README.md")).toEqual([]);
  });

  it("moves the published packages to one new version together, each with its CHANGELOG", () => {
    const versions = PUBLISHED.map(({ dir }) => manifest(join(copy, dir)).version);
    expect(new Set(versions).size).toBe(1);
    for (const { name, dir } of PUBLISHED) {
      expect(manifest(join(copy, dir)).version, name).not.toBe(before.get(dir));
      expect(readFileSync(join(copy, dir, "CHANGELOG.md"), "utf8"), name).toContain(`## ${versions[0]}`);
    }
  });

  it("leaves private packages unversioned", () => {
    for (const [dir, version] of before) {
      if (manifest(join(copy, dir)).private === true) expect(manifest(join(copy, dir)).version, dir).toBe(version);
    }
  });
});
