/**
 * A real hub for sync tests: in this process (`startHub`), or as a child process
 * that a test can kill with SIGKILL and start again on the same port and store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach } from "vitest";
import { startHub, type Hub, type HubOptions } from "@events/server";
import { freePort, spawnHub, type HubProcess } from "@events/server/testing";

export const ADMIN = "test-admin-token-0123456789abcdef";

export { freePort, type HubProcess };

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


/** The hub as a separate process (from source), on `port` with its store in `dataDir`. */
export async function hubProcess(port: number, dataDir: string): Promise<HubProcess> {
  const hub = await spawnHub({
    args: ["--port", String(port), "--data-dir", dataDir, "--no-socket"],
    env: { EVENTS_ADMIN_TOKEN: ADMIN },
  });
  cleanups.push(() => hub.kill());
  return hub;
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
