/**
 * How a short-lived host hands delivery to the home's background syncer: a poke over
 * `<home>/syncer.sock` (a hashed path in the temp dir when that is too long for a unix
 * socket), and, when no syncer answers, one started detached. Never throws and never
 * waits for the hub: the event is already durable in the outbox, so a lost poke only
 * delays delivery to the next emit or `events sync now`.
 */
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** node:net, loaded by the first poke: importing the SDK must not pay for it. */
function connect(path: string): Socket {
  return process.getBuiltinModule("node:net").createConnection(path);
}

/** Unix socket paths longer than this do not bind on Linux (108 bytes with the NUL) nor macOS (104). */
const MAX_SOCKET_PATH = 100;

/** Where the syncer of `home` listens. Two homes never share a path. */
export function syncerSocketPath(home: string): string {
  const inHome = join(home, "syncer.sock");
  if (Buffer.byteLength(inHome) <= MAX_SOCKET_PATH) return inHome;
  const hash = process.getBuiltinModule("node:crypto").createHash("sha256").update(home).digest("hex").slice(0, 16);
  return join(tmpdir(), `events-syncer-${hash}.sock`);
}

export type PokeOutcome = "poked" | "spawned" | "failed";

export interface PokeOptions {
  home: string;
  /** Variables the syncer needs that the host may hold only in memory (server, token). */
  env?: Record<string, string>;
  /** Give up on the poke after this many milliseconds. @default 1_000 */
  timeoutMs?: number;
  trace?: (message: string) => void;
}

/** Tells the syncer of `home` to drain, starting one when none answers. */
export function pokeSyncer(options: PokeOptions): Promise<PokeOutcome> {
  const trace = options.trace ?? (() => undefined);
  return new Promise((resolve) => {
    const path = syncerSocketPath(options.home);
    const socket = connect(path);
    const timer = setTimeout(() => done("failed", "no answer in time"), options.timeoutMs ?? 1_000);
    let settled = false;
    function done(outcome: PokeOutcome, why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      trace(`sync: syncer ${outcome} (${why})`);
      resolve(outcome);
    }
    socket.on("connect", () => socket.end("sync\n", () => done("poked", path)));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT" && error.code !== "ECONNREFUSED") return done("failed", error.message);
      done(spawnSyncer(options) ? "spawned" : "failed", `none listened on ${path}`);
    });
  });
}

export interface DrainReply {
  synced: number;
  remaining: number;
  error?: { errorClass: "schema" | "auth" | "server" | "network"; message: string; hint: string };
}

/**
 * Asks the syncer of `home` to drain now and waits, at most `timeoutMs`, for what it
 * did (starting one when none answers, then waiting for it to listen).
 */
export async function drainViaSyncer(options: PokeOptions & { timeoutMs: number }): Promise<DrainReply> {
  const deadline = Date.now() + options.timeoutMs;
  const path = syncerSocketPath(options.home);
  let spawned = false;
  for (;;) {
    const reply = await ask(path, deadline);
    if (typeof reply !== "string") return reply;
    if (reply !== "ENOENT" && reply !== "ECONNREFUSED") return unanswered(`the syncer did not answer (${reply})`);
    if (!spawned) spawned = spawnSyncer(options);
    if (!spawned) return unanswered("no syncer could be started");
    if (Date.now() + 20 >= deadline) return unanswered("the syncer did not start in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function unanswered(message: string): DrainReply {
  return { synced: 0, remaining: -1, error: { errorClass: "network", message, hint: "the next emit or `events sync now` sends it; see <home>/syncer.log" } };
}

/** One `drain` request; resolves with the reply, or with the error code that stopped it. */
function ask(path: string, deadline: number): Promise<DrainReply | string> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let text = "";
    const timer = setTimeout(() => finish("timeout"), Math.max(0, deadline - Date.now()));
    function finish(outcome: DrainReply | string): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    }
    socket.on("connect", () => socket.write(`drain ${Math.max(1, deadline - Date.now())}\n`));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes("\n")) return;
      try {
        finish(JSON.parse(text) as DrainReply);
      } catch {
        finish("a reply that is not JSON");
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on("end", () => finish("closed without a reply"));
  });
}

/** Whether a background syncer serves `home` now (it is not woken by asking). */
export function syncerRunning(home: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(syncerSocketPath(home));
    socket.on("connect", () => socket.end("ping\n", () => resolve(true)));
    socket.on("error", () => resolve(false));
  });
}

/** Starts a syncer for `home`, detached, and does not wait for it. */
export function spawnSyncer(options: Pick<PokeOptions, "home" | "env" | "trace">): boolean {
  try {
    // Loaded only on the emit that finds no syncer: the common path never pays for it.
    const { spawn } = process.getBuiltinModule("node:child_process");
    const entry = syncerEntry();
    const child = spawn(process.execPath, [...entry.execArgv, entry.script, "--home", options.home], {
      detached: true,
      stdio: "ignore",
      // Not the home: a syncer must not hold a directory its user may delete (nor die of it).
      cwd: "/",
      env: { ...process.env, ...options.env },
    });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch (error) {
    options.trace?.(`sync: could not start a syncer (${error instanceof Error ? error.message : String(error)})`);
    return false;
  }
}

/**
 * The syncer's script: `dist/syncer.js` beside the bundle; run from source (the tests),
 * `syncer-main.ts` through tsx with the source export condition.
 */
function syncerEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith(".ts")) return { script: fileURLToPath(new URL("./syncer.js", import.meta.url)), execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { script: fileURLToPath(new URL("./syncer-main.ts", import.meta.url)), execArgv: ["--conditions=@events/source", "--import", tsx] };
}
