/** Running test/children/emitter-child.ts in real processes (through tsx, from source). */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import type { ChildConfig, ChildSummary } from "../children/emitter-child.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const script = fileURLToPath(new URL("../children/emitter-child.ts", import.meta.url));

export interface SpawnOptions {
  /** Run as an unprivileged user when the tests run as root, so file modes are enforced. */
  unprivileged?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Whether file permissions bind this process (root ignores them). */
export const isRoot = process.getuid?.() === 0;

/**
 * The unprivileged child reads this checkout (sources and node_modules). A checkout
 * made under a 0700 directory (`mktemp -d`) is out of its reach, so each ancestor
 * that others cannot search gets o+x (search only, never read) until the test ends.
 */
function letOthersReachCheckout(): void {
  const changed: { dir: string; mode: number }[] = [];
  for (let dir = dirname(packageDir); dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) !== 0) continue;
    chmodSync(dir, mode | 0o001);
    changed.push({ dir, mode });
  }
  if (changed.length === 0) return;
  onTestFinished(() => {
    for (const { dir, mode } of changed) chmodSync(dir, mode);
  });
}

export function spawnChild(config: ChildConfig, options: SpawnOptions = {}): ChildProcess {
  const drop = options.unprivileged === true && isRoot;
  if (drop) letOthersReachCheckout();
  return spawn(process.execPath, ["--conditions=@events/source", "--import", "tsx", script, JSON.stringify(config)], {
    cwd: packageDir,
    env: { ...process.env, EVENTS_DEBUG: "", ...(drop ? { HOME: "/tmp" } : {}), ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    ...(drop ? { uid: 65534, gid: 65534 } : {}),
  });
}

export interface ChildOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function collect(child: ChildProcess): Promise<ChildOutput> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export async function runChild(config: ChildConfig, options: SpawnOptions = {}): Promise<ChildOutput> {
  const child = spawnChild(config, options);
  child.stdin?.end();
  return collect(child);
}

/** The JSON summary a `report: "summary"` child printed last. */
export function summaryOf(output: ChildOutput): ChildSummary {
  const line = output.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as ChildSummary;
  } catch {
    throw new Error(`child printed no summary (code ${output.code}):\n${output.stdout}\n${output.stderr}`);
  }
}
