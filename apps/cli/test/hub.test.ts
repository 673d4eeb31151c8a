/**
 * The built `events` binary against a real hub, as people and scripts run it: each
 * command's output and exit code, and the error paths (no server, bad token,
 * invalid payload, unknown event type).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startHub, type Hub } from "@events/server";
import { freePort } from "@events/server/testing";
import { BIN, runCli, type CliResult } from "./run-cli.js";
import { killSyncers } from "../../../scripts/test-syncers.js";

const ADMIN = "cli-test-admin-token-0123456789";
let hub: Hub;
let root: string;
const dirs: string[] = [];

function temp(prefix: string): string {
  const dir = mkdtempSync(join(root, prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "events-cli-hub-"));
  hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(root, "hub"), socketPath: false, logger: "silent", adminToken: ADMIN });
});
// Commands with a hub configured start the home's background syncer: none outlives its test.
afterEach(() => killSyncers(dirs));
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** A user: their own state directory and project directory. */
function user() {
  const home = temp("home-");
  const project = temp("project-");
  const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { cwd: project, env: { EVENTS_HOME: home, EVENTS_SERVER_URL: "", EVENTS_TOKEN: "", EVENTS_ADMIN_TOKEN: "", ...env } });
  return { home, project, run };
}

async function loggedIn() {
  const u = user();
  const init = await u.run(["init", "--json"]);
  const uuid = (JSON.parse(init.stdout) as { project: { uuid: string } }).project.uuid;
  const created = await u.run(["token", "create", "--project", uuid, "--scope", "read,write", "--server", hub.url, "--admin-token", ADMIN, "--json"]);
  expect(created.code).toBe(0);
  const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
  const login = await u.run(["auth", "login", "--server", hub.url, "--token", token]);
  expect(login.code).toBe(0);
  return { ...u, uuid, token, tokenId: id };
}


describe("events init, emit and the friendly commands", () => {
  it("creates the project identity once", async () => {
    const u = user();
    const first = await u.run(["init", "--json"]);
    expect(first.code).toBe(0);
    const again = await u.run(["init", "--json"]);
    expect(JSON.parse(again.stdout).project.uuid).toBe(JSON.parse(first.stdout).project.uuid);
    expect(readFileSync(join(u.project, ".events", "config.yaml"), "utf8")).toContain(JSON.parse(first.stdout).project.uuid);
  });

  it("prints the event id, and the event with --json", async () => {
    const u = user();
    const plain = await u.run(["wp", "status", "WP01", "--to", "planned", "--feature", "001-demo"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^[0-9A-HJKMNP-TV-Z]{26} {2}WPStatusChanged WP01 \(none\) -> planned/);
    const json = await u.run(["wp", "status", "WP01", "--from", "planned", "--to", "doing", "--feature", "001-demo", "--json"]);
    const event = JSON.parse(json.stdout) as { payload: { to_lane: string }; lamport_clock: number };
    expect(event.payload.to_lane).toBe("in_progress");
    expect(event.lamport_clock).toBe(2);
    for (const args of [
      ["wp", "create", "WP02", "--title", "Factory", "--feature", "001-demo", "--depends-on", "WP01"],
      ["wp", "assign", "WP02", "--agent", "claude", "--phase", "review", "--retry", "1"],
      ["feature", "create", "001-demo", "--number", "001", "--target-branch", "main", "--wp-count", "2"],
      ["feature", "complete", "001-demo", "--total-wps", "2", "--duration", "1d"],
      ["history", "add", "WP02", "--content", "started", "--author", "me"],
      ["error", "log", "--type", "network", "--message", "hub unreachable", "--wp", "WP02"],
      ["dependency", "resolve", "WP02", "--on", "WP01", "--resolution", "merged"],
      ["emit", "WPAssigned", "--set", "wp_id=WP03", "--set", "agent_id=a", "--set", "phase=implementation", "--set", "retry_count=0"],
      ["emit", "HistoryAdded", "--payload", '{"wp_id":"WP03","entry_type":"comment","entry_content":"x"}'],
      ["session", "s-1", "phase", "compiling"],
      ["session", "s-1", "progress", "compiling", "3", "10"],
      ["session", "s-1", "done", "--result", '{"ok":true}'],
    ]) {
      const result = await u.run(args);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
    const stats = await u.run(["queue", "stats", "--json"]);
    expect(JSON.parse(stats.stdout).size).toBe(14);
  });

  it("exits 1 on an invalid payload, naming every problem", async () => {
    const result = await user().run(["wp", "status", "WP1", "--to", "nowhere"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("/payload/wp_id");
    expect(result.stderr).toContain("/payload/to_lane");
    expect(result.stderr).toContain("hint:");
  });

  it("exits 2 on an unknown event type, listing the known ones", async () => {
    const result = await user().run(["emit", "WPMoved", "--set", "wp_id=WP01"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown event type "WPMoved"');
    expect(result.stderr).toContain("WPStatusChanged");
  });

  it("exits 2 on a payload that is not JSON", async () => {
    const result = await user().run(["emit", "HistoryAdded", "--payload", "{nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--payload is not valid JSON");
  });
});

describe("events auth", () => {
  it("logs in with a token the hub takes, shows it, and logs out", async () => {
    const u = await loggedIn();
    const status = await u.run(["auth", "status", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ server_url: hub.url, source: { serverUrl: "credentials" } });
    expect((await u.run(["auth", "logout"])).stdout).toContain("logged out");
    const after = await u.run(["auth", "status"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("events auth login");
  });

  it("refuses a bad token with exit 1 and says what to do", async () => {
    const result = await user().run(["auth", "login", "--server", hub.url, "--token", "not-a-token"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("401");
    expect(result.stderr).toContain("hint:");
  });

  it("says when there is no server", async () => {
    const result = await user().run(["auth", "login", "--server", `http://127.0.0.1:${await freePort()}`, "--token", "x"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not be reached|ECONNREFUSED/);
    expect(result.stderr).toContain("hint:");
  });
});

describe("events sync, queue and clock", () => {
  it("syncs what was emitted and reports it", async () => {
    const u = await loggedIn();
    for (let i = 0; i < 3; i++) await u.run(["history", "add", "WP01", "--content", `n${i}`]);
    // Background sync may already have delivered some; sync now delivers the rest.
    const now = await u.run(["sync", "now", "--json", "--report", join(u.home, "report.json")]);
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toMatchObject({ remaining: 0, rejected: 0 });
    expect(JSON.parse(readFileSync(join(u.home, "report.json"), "utf8")).summary.remaining).toBe(0);
    const status = await u.run(["sync", "status", "--check", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ configured: true, queued: 0, check: { ok: true } });
  });

  it("sync now and sync status --check exit 1 with a hint when the hub is down", async () => {
    const u = user();
    await u.run(["history", "add", "WP01", "--content", "waits"]);
    const env = { EVENTS_SERVER_URL: `http://127.0.0.1:${await freePort()}`, EVENTS_TOKEN: "x" };
    const now = await u.run(["sync", "now"], env);
    expect(now.code).toBe(1);
    expect(now.stderr).toContain("hint:");
    const check = await u.run(["sync", "status", "--check"], env);
    expect(check.code).toBe(1);
    expect((await u.run(["queue", "stats", "--json"])).stdout).toContain('"size": 1');
  });

  it("diagnoses queued events locally and lists, purges and retries the queue", async () => {
    const u = user();
    await u.run(["history", "add", "WP01", "--content", "one"]);
    await u.run(["history", "add", "WP01", "--content", "two"]);
    const diagnose = await u.run(["sync", "diagnose", "--json"]);
    expect(diagnose.code).toBe(0);
    expect(JSON.parse(diagnose.stdout)).toMatchObject({ checked: 2, problems: [] });
    expect(JSON.parse((await u.run(["queue", "list", "--json"])).stdout)).toHaveLength(2);
    expect((await u.run(["queue", "purge"])).code).toBe(2);
    expect(JSON.parse((await u.run(["queue", "purge", "--yes", "--json"])).stdout)).toEqual({ outbox: 2, deadLetters: 0 });
    expect((await u.run(["queue", "dead-letters"])).stdout).toContain("no dead letters");
    expect((await u.run(["queue", "retry-dead", "--json"])).stdout).toContain('"requeued": 0');
    expect(JSON.parse((await u.run(["clock", "show", "--json"])).stdout).value).toBe(2);
    expect((await u.run(["clock", "reset"])).code).toBe(2);
    expect(JSON.parse((await u.run(["clock", "reset", "--yes", "--json"])).stdout).value).toBe(0);
  });
});

describe("events send-event", () => {
  it("stores, delivers live and says where it went", async () => {
    const u = await loggedIn();
    const result = await u.run(["send-event", "--target", "worker-1", "--type", "state_change", "--source", "controller", "--job-id", "42", "--payload", '{"from_state":"idle","to_state":"running","event_trigger":"start"}']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("machine worker-1");
    expect(result.stdout).toContain(`delivered to ${hub.url}`);
  });

  it("exits 0 once stored when live delivery is unavailable, with a warning", async () => {
    const u = user();
    const result = await u.run(["send-event", "--target", "ui", "--type", "activity_log", "--payload", '{"message":"hi"}', "--deliver-timeout", "1000"], {
      EVENTS_SERVER_URL: `http://127.0.0.1:${await freePort()}`,
      EVENTS_TOKEN: "x",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("live delivery is unavailable");
  });

  it("validates locally first: a realtime type with the wrong payload exits 1, nothing queued or sent", async () => {
    const u = await loggedIn();
    const before = (await (await fetch(`${hub.url}/healthz`)).json()) as { position: string };
    const result = await u.run(["send-event", "--target", "ui", "--type", "state_change", "--payload", '{"from_state":"a"}']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the event is not valid (nothing was stored or sent)");
    expect(result.stderr).toContain("/payload/payload/to_state");
    expect(JSON.parse((await u.run(["queue", "stats", "--json"])).stdout).size).toBe(0);
    expect(await (await fetch(`${hub.url}/healthz`)).json()).toMatchObject({ position: before.position });
  });
});

describe("events token and tail", () => {
  it("lists and revokes tokens; a revoked token is refused", async () => {
    const u = await loggedIn();
    const list = await u.run(["token", "list", "--server", hub.url, "--admin-token", ADMIN, "--json"]);
    expect(JSON.parse(list.stdout).some((token: { id: string }) => token.id === u.tokenId)).toBe(true);
    expect((await u.run(["token", "revoke", u.tokenId, "--server", hub.url, "--admin-token", ADMIN])).code).toBe(0);
    const check = await u.run(["sync", "status", "--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("events auth login");
    const wrong = await u.run(["token", "list", "--server", hub.url, "--admin-token", "wrong"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("admin token");
  });

  it("tail prints the stream from a seq, as JSON lines for scripts", async () => {
    const u = await loggedIn();
    await u.run(["wp", "status", "WP07", "--to", "planned"]);
    await u.run(["sync", "now"]);
    const tail = await u.run(["tail", "--since", "0", "--count", "1", "--json"]);
    expect(tail.code).toBe(0);
    const line = JSON.parse(tail.stdout.trim().split("\n")[0]!) as { stream: string; seq: number; event: { project_uuid: string } };
    expect(line.event.project_uuid).toBe(u.uuid);
    expect(line).toMatchObject({ stream: u.uuid, seq: 1 });
  });

  it("tail's plain lines say whose seq each is (seqs count per project), unless --project names the one stream", async () => {
    const u = await loggedIn();
    await u.run(["wp", "status", "WP07", "--to", "planned"]);
    await u.run(["sync", "now"]);
    const plain = await u.run(["tail", "--since", "0", "--count", "1"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^ *${u.uuid.slice(0, 8)}:1 .*WPStatusChanged WP07`, "m"));
    const one = await u.run(["tail", "--since", "0", "--count", "1", "--project", u.uuid]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^ {5}1 .*WPStatusChanged WP07/m);
  });

  it("tail --since takes a position token and reads what follows it in that stream; a malformed one exits 2", async () => {
    const u = await loggedIn();
    for (const content of ["one", "two", "three"]) await u.run(["history", "add", "WP02", "--content", content]);
    await u.run(["sync", "now"]);
    const all = await u.run(["tail", "--since", "0", "--count", "3", "--json"]);
    const lines = all.stdout.trim().split("\n").map((text) => JSON.parse(text) as { stream: string; seq: number });
    const first = lines[0]!;
    const after = await u.run(["tail", "--since", `${first.stream}:${first.seq}`, "--count", "2", "--json"]);
    expect(after.code).toBe(0);
    expect(after.stdout.trim().split("\n").map((text) => (JSON.parse(text) as { seq: number }).seq)).toEqual([first.seq + 1, first.seq + 2]);
    const bad = await u.run(["tail", "--since", "spec-kitty:3"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since must be a position");
  });

  it("tail over Server-Sent Events prints the same lines as over the WebSocket", async () => {
    const u = await loggedIn();
    await u.run(["history", "add", "WP01", "--content", "one"]);
    await u.run(["history", "add", "WP01", "--content", "two"]);
    await u.run(["sync", "now"]);
    const [sse, ws] = await Promise.all(["sse", "websocket"].map((transport) => u.run(["tail", "--transport", transport, "--since", "0", "--count", "2", "--json"])));
    expect([sse?.code, ws?.code]).toEqual([0, 0]);
    const lines = sse!.stdout.trim().split("\n").map((line) => JSON.parse(line) as { seq: number; event: { project_uuid: string; payload: { entry_content: string } } });
    expect(lines.map((line) => [line.event.project_uuid, line.event.payload.entry_content])).toEqual([
      [u.uuid, "one"],
      [u.uuid, "two"],
    ]);
    expect(sse!.stdout).toBe(ws!.stdout);
  });

  it("tail exits 1 when the hub refuses the token, over either transport, and 2 for a transport it does not know", async () => {
    for (const transport of ["websocket", "sse"]) {
      const refused = await user().run(["tail", "--server", hub.url, "--token", "not-a-token", "--transport", transport]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("the hub refused the token (close 4401)");
      expect(refused.stderr).toContain("events auth login");
    }
    const unknown = await user().run(["tail", "--server", hub.url, "--token", ADMIN, "--transport", "pigeon"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--transport must be one of auto, websocket, sse");
  });
});

describe("events tail across a hub restart", () => {
  it("exits 1 naming the channel when the hub refuses the subscription, instead of waiting forever", async () => {
    const u = await loggedIn();
    const result = await u.run(["tail", "--channel", "sessions"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the hub refused the subscription: unknown channel "sessions"');
    expect(result.stderr).toContain("hint:");
  });

  it("reconnects by itself and resumes after the last seq it printed: no gap, no duplicate", async () => {
    const u = user();
    const port = await freePort();
    const dataDir = join(u.home, "own-hub");
    let own = await startHub({ host: "127.0.0.1", port, dataDir, socketPath: false, logger: "silent", adminToken: ADMIN });
    const env = { EVENTS_SERVER_URL: `http://127.0.0.1:${port}`, EVENTS_TOKEN: ADMIN };
    try {
      await u.run(["history", "add", "WP01", "--content", "before"], env);
      await u.run(["sync", "now"], env);
      let printed = "";
      const tail = runCli(["tail", "--since", "0", "--count", "3", "--json"], {
        cwd: u.project,
        env: { EVENTS_HOME: u.home, EVENTS_ADMIN_TOKEN: "", ...env },
        timeoutMs: 90_000,
        onStdout: (stdout) => (printed = stdout),
      });
      // The restart comes once tail has printed the first event, however long that takes here.
      await vi.waitFor(() => expect(printed).toContain('"before"'), { timeout: 30_000, interval: 20 });
      await own.close();
      own = await startHub({ host: "127.0.0.1", port, dataDir, socketPath: false, logger: "silent", adminToken: ADMIN });
      await u.run(["history", "add", "WP01", "--content", "after 1"], env);
      await u.run(["history", "add", "WP01", "--content", "after 2"], env);
      await u.run(["sync", "now"], env);
      const lines = (await tail).stdout.trim().split("\n").map((line) => JSON.parse(line) as { seq: number; event: { payload: { entry_content: string } } });
      expect(lines.map((line) => line.event.payload.entry_content)).toEqual(["before", "after 1", "after 2"]);
      expect(lines.map((line) => line.seq)).toEqual([1, 2, 3]);
    } finally {
      await own.close();
    }
  });
});

describe("a new user's session, as the README runs it", () => {
  it("serve, log in, emit, watch it arrive with tail, send a machine event, check sync status", async () => {
    const u = user();
    const port = await freePort();
    const serve = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--data-dir", join(u.home, "hub"), "--socket", join(u.home, "events.sock")], {
      env: { ...process.env, NO_COLOR: "1", EVENTS_ADMIN_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        serve.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("shown once")) resolve();
        });
        serve.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      expect(out).toContain(`listening on ${url}`);
      expect(out).toContain(`dashboard  ${url}/`);
      const admin = /stored\): (\S+)/.exec(out)?.[1] ?? "";
      const uuid = JSON.parse((await u.run(["init", "--json"])).stdout).project.uuid as string;
      const token = JSON.parse((await u.run(["token", "create", "--project", uuid, "--scope", "read,write", "--server", url, "--admin-token", admin, "--json"])).stdout).token as string;
      expect((await u.run(["auth", "login", "--server", url, "--token", token])).code).toBe(0);
      // From seq 0: the hub is new, so this is exactly what arrives, however slowly tail connects.
      const tail = u.run(["tail", "--since", "0", "--count", "2", "--json"]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await u.run(["wp", "status", "WP01", "--to", "planned"])).code).toBe(0);
      expect((await u.run(["send-event", "--target", "ui", "--type", "activity_log", "--payload", '{"message":"hello","level":"info"}'])).code).toBe(0);
      const seen = (await tail).stdout.trim().split("\n").map((line) => (JSON.parse(line) as { event: { event_type: string } }).event.event_type);
      expect(seen).toEqual(["WPStatusChanged", "MachineEvent"]);
      const status = JSON.parse((await u.run(["sync", "status", "--json"])).stdout) as { queued: number; configured: boolean };
      expect(status).toMatchObject({ queued: 0, configured: true });
    } finally {
      serve.kill("SIGTERM");
      await new Promise((resolve) => serve.once("exit", resolve));
    }
  });
});
