/**
 * What a command loads before it does anything: the built `events` is one module plus
 * the chunk of the command run, with commander inside it, and Node's child_process is
 * never loaded (commander only needs it for executable subcommands, which `events`
 * does not have). Runs the build, as a shell would.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN } from "./run-cli.js";

/** Runs `events ...args` with a hook that reports, at exit, the built-ins and CommonJS files it loaded. */
function loaded(args: readonly string[]): { builtins: string[]; required: string[] } {
  const hook = `
    import { createRequire } from "node:module";
    process.on("exit", () => process._rawDebug(JSON.stringify({
      builtins: process.moduleLoadList.filter((name) => name.startsWith("NativeModule ")).map((name) => name.slice(13)),
      required: Object.keys(createRequire(process.cwd() + "/").cache),
    })));`;
  const run = spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(hook)}`, BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
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
});
