/**
 * A hub as its own process, for integration tests (this workspace's, and yours):
 * spawn it, wait for the URL it prints, kill it. `freePort()` gives a port for a hub
 * that must come back on the same one after a restart.
 *
 *     import { spawnHub } from "@events/server/testing";
 *     const hub = await spawnHub({ args: ["--port", "0", "--data-dir", dir, "--no-socket"] });
 *     // ... hub.url, hub.wsUrl ...
 *     await hub.kill("SIGTERM");
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export interface SpawnHubOptions {
  /** The hub's flags (see `events serve --help`), e.g. `["--port", "0", "--data-dir", dir]`. */
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /**
   * What `node` runs before the flags. @default this package's entry point: the build,
   * or the source through tsx when this module itself is loaded from source.
   */
  readonly entry?: readonly string[];
  /** How long the hub may take to print its URL, in milliseconds. @default 30_000 */
  readonly startTimeoutMs?: number;
}

export interface HubProcess {
  /** `http://host:port`, as the hub printed it. */
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** Everything the hub wrote so far, stdout and stderr. */
  output(): string;
  /** Sends `signal` (SIGKILL by default) unless the hub has exited, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The hub's own entry point: built, or from source through tsx when this file is the source. */
export function defaultEntry(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith(".ts")) return [fileURLToPath(new URL("./main.js", import.meta.url))];
  return ["--conditions=@events/source", "--import", import.meta.resolve("tsx"), fileURLToPath(new URL("./main.ts", import.meta.url))];
}

/** Starts a hub process; resolves once it prints `listening on <url>`, rejects if it exits first. */
export async function spawnHub(options: SpawnHubOptions): Promise<HubProcess> {
  const child = spawn(process.execPath, [...(options.entry ?? defaultEntry()), ...options.args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...process.env, EVENTS_DEBUG: "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the hub did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${signal ?? code}) before it started:\n${output}`));
    });
  });
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    child,
    output: () => output,
    kill: async (signal: NodeJS.Signals = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A port nothing listens on at the moment (bound on 127.0.0.1, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
