/**
 * What a command loads: the built `events` is an entry (dist/bin.js) and one
 * CommonJS file (dist/cli.js) with commander inside it, and Node's child_process is
 * never loaded (commander only needs it for executable subcommands, which `events`
 * does not have). An emit prints through the file descriptor, so it never builds
 * process.stdout, which would load Node's streams. Runs the build, as a shell would.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN } from "./run-cli.js";

/** Runs `events ...args` with a hook that reports, at exit, the built-ins and CommonJS files it loaded. */
function loaded(args: readonly string[], env: Record<string, string> = {}): { builtins: string[]; required: string[] } {
  const hook = `
    import { createRequire } from "node:module";
    process.on("exit", () => process._rawDebug(JSON.stringify({
      builtins: process.moduleLoadList.filter((name) => name.startsWith("NativeModule ")).map((name) => name.slice(13)),
      required: Object.keys(createRequire(process.cwd() + "/").cache),
    })));`;
  const run = spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(hook)}`, BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stderr.trim().split("\n").at(-1) ?? "{}") as { builtins: string[]; required: string[] };
}

describe("the built events command", () => {
  it("carries commander inside it and never loads child_process", () => {
    const result = loaded(["--version"]);
    expect(result.required.filter((path) => path.includes("commander"))).toEqual([]);
    expect(result.builtins).not.toContain("child_process");
  });

  it("stores and prints an event without loading Node's streams or its network", () => {
    const home = mkdtempSync(join(tmpdir(), "events-startup-"));
    try {
      // No hub configured: there is no syncer to poke, which is the one use of node:net.
      const env = { EVENTS_HOME: home, EVENTS_SERVER_URL: "", EVENTS_TOKEN: "" };
      const emit = ["wp", "status", "WP01", "--to", "doing", "--feature", "001-startup"];
      loaded(emit, env); // the first run in a home sets it up, and writes the code cache
      const result = loaded(emit, env);
      expect(result.builtins).not.toContain("stream");
      expect(result.builtins).not.toContain("net");
      expect(result.builtins).not.toContain("tty");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
