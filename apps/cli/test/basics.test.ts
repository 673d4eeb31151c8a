import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BIN, runCli } from "./run-cli.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("events", () => {
  it("prints help with the exit codes", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: events");
    expect(result.stdout).toContain("Exit codes:");
  });

  it("exits 2 on an unknown command and says what to run", async () => {
    const result = await runCli(["nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'nope'");
    expect(result.stderr).toContain("events --help");
  });

  it.each([
    ["wp assign --help | head -1", "head -1"],
    ["--help | true (the reader closes before anything is written)", "true"],
    ["schema export --json | head -c 1", "head -c 1"],
  ])("exits quietly with 0 when the reader of stdout stops early: %s", async (label, reader) => {
    const args = label.split(" | ")[0]!.replace(" (the reader closes before anything is written)", "");
    const dir = mkdtempSync(join(tmpdir(), "events-cli-pipe-"));
    dirs.push(dir);
    const out = args.startsWith("schema export") ? `${args.replace("--json", "")} --out ${dir} --json` : args;
    // The shell runs the pipeline as a user's would; PIPESTATUS holds the CLI's exit code.
    const script = `"${process.execPath}" "${BIN}" ${out} | ${reader} > /dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`;
    const { stderr } = await promisify(execFile)("bash", ["-c", script], { env: { ...process.env, NO_COLOR: "1" } });
    expect(stderr).toBe("exit=0\n");
  });

  it("prints its version", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("events schema export", () => {
  it("writes the JSON Schema and AsyncAPI documents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-cli-"));
    dirs.push(dir);
    const result = await runCli(["schema", "export", "--out", join(dir, "out"), "--json"]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { files: string[] };
    expect(printed.files.length).toBeGreaterThan(10);
    expect(readdirSync(join(dir, "out"))).toContain("Envelope.schema.json");
    expect(readdirSync(join(dir, "out"))).toContain("asyncapi.json");
  });

  it("exits 2 without --out", async () => {
    const result = await runCli(["schema", "export"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--out");
  });

  it("exits 1 with a hint when it cannot write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-cli-"));
    dirs.push(dir);
    writeFileSync(join(dir, "a-file"), "not a directory");
    const result = await runCli(["schema", "export", "--out", join(dir, "a-file", "out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error:");
    expect(result.stderr).toContain("hint:");
  });
});

describe("events colour", () => {
  const missing = ["serve", "--config", "no-such-hub.yaml"];

  it("colours only when asked or on a terminal, and never with NO_COLOR", async () => {
    const piped = await runCli(missing, { env: { NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined } });
    expect(piped.stderr).toMatch(/^error: /);
    const forced = await runCli(missing, { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(forced.stderr).toContain("\x1b[31merror:\x1b[39m");
    expect(forced.stderr).toContain("\x1b[2mhint:\x1b[22m");
    const refused = await runCli(missing, { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(refused.stderr).toMatch(/^error: /);
    expect(refused.stderr).not.toContain("\x1b[");
  });

  it("colours on a terminal: util-linux script gives the command a pseudo-terminal", async () => {
    const command = [process.execPath, BIN, ...missing].map((arg) => `'${arg}'`).join(" ");
    const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: "xterm" };
    for (const name of ["NO_COLOR", "FORCE_COLOR", "CI"]) delete env[name];
    const { stdout } = await promisify(execFile)("script", ["-qec", `${command} 2>&1`, "/dev/null"], { env }).catch((error: { stdout: string }) => error);
    expect(stdout).toContain("\x1b[31merror:\x1b[39m");
  });
});
