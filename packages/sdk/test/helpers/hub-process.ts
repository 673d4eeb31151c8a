/**
 * A real hub for sync tests: in this process (`startHub`), or as a child process
 * that a test can kill with SIGKILL and start again on the same port and store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach } from "vitest";
import { startHub, type Hub, type HubOptions } from "@events/server";

export const ADMIN = "test-admin-token-0123456789abcdef";
const SERVER_MAIN = fileURLToPath(new URL("../../../server/src/main.ts", import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function inProcessHub(options: HubOptions = {}): Promise<Hub & { dataDir: string }> {
  const dataDir = options.dataDir ?? join(tempDir("events-sync-hub-"), "data");
  const hub = await startHub({ host: "127.0.0.1", port: 0, socketPath: false, logger: "silent", adminToken: ADMIN, dataDir, ...options });
  cleanups.push(() => hub.close());
  return Object.assign(hub, { dataDir });
}

/** A port nothing listens on (bound, read, released). */
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

export interface HubProcess {
  url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The hub as a separate process (from source), on `port` with its store in `dataDir`. */
export async function hubProcess(port: number, dataDir: string): Promise<HubProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=@events/source", "--import", "tsx", SERVER_MAIN, "--port", String(port), "--data-dir", dataDir, "--no-socket"],
    { env: { ...process.env, EVENTS_ADMIN_TOKEN: ADMIN, EVENTS_DEBUG: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${output}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`hub exited with ${code}: ${output}`)));
  });
  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  cleanups.push(() => kill());
  return { url: `http://127.0.0.1:${port}`, kill };
}

/** Events in the hub's SQLite store: total rows and distinct event ids. */
export function storedEvents(dataDir: string): { rows: number; distinct: number } {
  const db = new Database(join(dataDir, "hub.db"), { readonly: true, fileMustExist: true });
  try {
    const counts = db.prepare("SELECT COUNT(*) AS rows, COUNT(DISTINCT event_id) AS uniq FROM events").get() as { rows: number; uniq: number };
    return { rows: counts.rows, distinct: counts.uniq };
  } finally {
    db.close();
  }
}

/** A project token with the given scopes, made with the admin token. */
export async function projectToken(url: string, project: string, scopes: string[] = ["read", "write"]): Promise<{ id: string; token: string }> {
  const response = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ project, scopes }),
  });
  if (response.status !== 201 && response.status !== 200) throw new Error(`token: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; token: string };
}

export async function revokeToken(url: string, id: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/tokens/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
  if (response.status >= 300) throw new Error(`revoke: HTTP ${response.status}`);
}
