/**
 * `events serve` as its own process, the built binary as a user starts it: resolves
 * once it has printed its URL and what it serves, rejects with its output if it exits first; `stop()` sends
 * SIGTERM and waits for the exit. Every process started here is stopped by
 * `stopAll()` (call it in `afterEach`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { BIN } from "./run-cli.js";

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

const running = new Set<ServeProcess>();

export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** What node runs instead of `events serve <args>` (e.g. a Dockerfile's CMD, without its `node`). */
  argv?: readonly string[];
}

export async function startServe(args: readonly string[], options: StartOptions = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, options.argv ?? [BIN, "serve", ...args], {
    cwd: options.cwd,
    // The caller's settings only: none of this machine's EVENTS_* leak in.
    env: { ...withoutEvents(process.env), NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`events serve did not start in time:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const look = (): void => {
      // The datagrams line comes after the URL, the config and the dashboard lines.
      const match = /listening on (http:\/\/\S+)[^]*\n {2}datagrams /.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match[1] as string);
    };
    child.stdout.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`events serve exited ${String(code)} before it started:\n${output}`));
    });
  });
  const serve: ServeProcess = {
    url,
    child,
    output: () => output,
    stop: async () => {
      running.delete(serve);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  running.add(serve);
  return serve;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((serve) => serve.stop()));
}

export function withoutEvents(env: NodeJS.ProcessEnv): Record<string, string> {
  // EVENTS_CODE_CACHE stays: it is where the tests keep the command's code cache (setup-env.ts), not a setting of the hub.
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => (entry[0] === "EVENTS_CODE_CACHE" || !/^(EVENTS_|PORT$)/.test(entry[0])) && entry[1] !== undefined),
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
