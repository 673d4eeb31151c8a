/**
 * A Redis and a PostgreSQL of a test's own, from the machine's own server binaries,
 * that the test may crash and start again on the same port. The fault tests restart
 * these rather than the machine's shared services: the shared ones serve every other
 * test running at the same time (vitest runs two files at once, turbo runs other
 * packages' suites beside this one), and a restart would fail those instead.
 * No vitest imports.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/testing.js";

export interface PrivateService {
  readonly url: string;
  /** Starts it again (on the same port); resolves when it accepts connections. */
  start(): Promise<void>;
  /** Kills it as a crash would: no clean shutdown, connections cut at once. */
  crash(): Promise<void>;
  /** Stops it for good and removes its files. */
  remove(): Promise<void>;
}

/** A private redis-server (no persistence, like the machine's). */
export async function privateRedis(): Promise<PrivateService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      started.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  };
  const crash = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, crash, remove: crash };
}

/** Where the machine's PostgreSQL server binaries are (Debian: /usr/lib/postgresql/<major>/bin), or undefined. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((name) => existsSync(join(root, name, "bin", "initdb")));
    const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
    if (newest !== undefined) return join(root, newest, "bin");
  }
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).stdout.trim();
  return found === "" ? undefined : join(found, "..");
}

/**
 * A private PostgreSQL cluster (initdb in a temp dir, trust auth, 127.0.0.1 only).
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function privatePostgres(): Promise<PrivateService> {
  const bin = postgresBinaries();
  if (bin === undefined) throw new Error("PostgreSQL's server binaries (initdb, pg_ctl) were not found");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "events-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string): number => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(dir, id("-u"), id("-g"));
  }
  const run = (command: string, args: readonly string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, command), ...args]] : [join(bin, command), [...args]];
      const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${output}`))));
    });
  const data = join(dir, "data");
  await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`;
  const start = (): Promise<void> => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "20", "start"]);
  // Immediate mode: every session is cut and the server exits without a checkpoint; the next start recovers from the WAL.
  const crash = (): Promise<void> => run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    crash,
    remove: async () => {
      await crash().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
