import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, spawnHub } from "../src/testing.js";

describe("@events/server/testing", () => {
  it("starts a hub process on a given port, answers at its URL, and stops it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-testing-"));
    try {
      const port = await freePort();
      const hub = await spawnHub({ args: ["--port", String(port), "--data-dir", dir, "--no-socket"] });
      expect(hub.url).toBe(`http://127.0.0.1:${port}`);
      expect(hub.wsUrl).toBe(`ws://127.0.0.1:${port}`);
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      await hub.kill("SIGTERM");
      expect(hub.child.exitCode !== null || hub.child.signalCode !== null).toBe(true);
      await hub.kill(); // a second kill of an exited hub is a no-op
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects with the hub's own words when it cannot start", async () => {
    await expect(spawnHub({ args: ["--port", "70000", "--no-socket"] })).rejects.toThrow(/before it started[\s\S]*port/);
  });
});
