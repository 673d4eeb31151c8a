/**
 * Real hubs for the client's tests: 127.0.0.1, port 0 (kept across restarts), a temp
 * dir for the SQLite store, no datagram socket; stopped and removed after each test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { startHub, type Hub, type HubOptions } from "@events/server";

export interface TestHub {
  readonly url: string;
  readonly admin: string;
  readonly hub: () => Hub;
  /** Stops the hub (its store stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** A token for `project` with `scopes`. */
  token(project: string, scopes?: ("read" | "write")[]): Promise<string>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function testHub(options: HubOptions = {}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), "events-client-test-"));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
  const base: HubOptions = { host: "127.0.0.1", dataDir: join(dir, "data"), socketPath: false, controlDir: dir, logger: "silent", adminToken, ...options };
  let hub = await startHub({ ...base, port: 0 });
  let running = true;
  const port = Number(new URL(hub.url).port);
  const url = hub.url;
  cleanups.push(async () => {
    if (running) await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url,
    admin: adminToken,
    hub: () => hub,
    async stop() {
      running = false;
      await hub.close();
    },
    async restart() {
      hub = await startHub({ ...base, port });
      running = true;
    },
    async token(project, scopes = ["read", "write"]) {
      const response = await fetch(`${url}/api/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ project, scopes }),
      });
      if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
  };
}

/** Waits for `condition` (polled every 10 ms), failing with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
