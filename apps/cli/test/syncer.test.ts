/**
 * The built `events` hands delivery to the home's background syncer (dist/syncer.js
 * of the SDK): a command returns with its event on disk, without waiting for the hub,
 * and the syncer delivers it; opted out, the command delivers before it exits, as
 * before. Every syncer a test starts is killed when it ends.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startHub, type Hub } from "@events/server";
import { runCli } from "./run-cli.js";
import { killSyncers, syncerPids } from "../../../scripts/test-syncers.js";

const ADMIN = "cli-syncer-admin-token-0123456789";
let hub: Hub;
let root: string;
const homes: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "events-cli-syncer-"));
  hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(root, "hub"), socketPath: false, logger: "silent", adminToken: ADMIN });
});
afterEach(() => killSyncers(homes.splice(0)));
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

function user(env: Record<string, string> = {}) {
  const home = mkdtempSync(join(root, "home-"));
  const project = mkdtempSync(join(root, "project-"));
  homes.push(home);
  const run = (args: string[]) =>
    runCli(args, { cwd: project, env: { EVENTS_HOME: home, EVENTS_SERVER_URL: hub.url, EVENTS_TOKEN: ADMIN, EVENTS_ADMIN_TOKEN: "", ...env } });
  return { home, run };
}

/** How many times the hub holds an event (0 or 1). */
async function atHub(eventId: string): Promise<number> {
  const response = await fetch(`${hub.url}/api/v1/events?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const page = (await response.json()) as { events: { event: { event_id: string } }[] };
  return page.events.filter((entry) => entry.event.event_id === eventId).length;
}

describe("background delivery from the command line", () => {
  it("emit returns with the event on disk; the home's syncer delivers it; sync status says it runs", async () => {
    const u = user();
    const result = await u.run(["wp", "status", "WP01", "--to", "planned", "--feature", "001-x", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const eventId = (JSON.parse(result.stdout) as { event_id: string }).event_id;
    // The command did not deliver it: it was durable at return, and the syncer takes it from there.
    await vi.waitFor(async () => expect(await atHub(eventId)).toBe(1), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect((await u.run(["queue", "stats", "--json"])).stdout).toContain('"size": 0'), { timeout: 10_000, interval: 50 });
    expect(syncerPids(u.home)).toHaveLength(1);
    const status = await u.run(["sync", "status", "--json"]);
    expect((JSON.parse(status.stdout) as { syncer: string }).syncer).toBe("running");
  });

  it("send-event reports live delivery through the syncer", async () => {
    const u = user();
    const result = await u.run(["send-event", "--target", "ui", "--type", "activity_log", "--payload", '{"message":"hi","level":"info"}', "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const eventId = (JSON.parse(result.stdout) as { event_id: string }).event_id;
    expect(await atHub(eventId)).toBe(1);
    expect(syncerPids(u.home)).toHaveLength(1);
  });

  it("with EVENTS_SYNC_BACKGROUND=0 the command delivers before it exits and starts no syncer", async () => {
    const u = user({ EVENTS_SYNC_BACKGROUND: "0" });
    const result = await u.run(["wp", "status", "WP02", "--to", "planned", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(await atHub((JSON.parse(result.stdout) as { event_id: string }).event_id)).toBe(1);
    expect(syncerPids(u.home)).toEqual([]);
    expect(existsSync(join(u.home, "syncer.sock"))).toBe(false);
  });
});
