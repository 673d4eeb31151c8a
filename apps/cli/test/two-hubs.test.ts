/**
 * Two hubs started with the defaults on one machine (two projects, each running
 * `events serve` in its own directory) both run: each takes datagrams on a socket in
 * its own data directory, says where at start, and stores what is sent to it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@events/server/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BIN } from "./run-cli.js";

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  })));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `events serve --port P` in a fresh directory, as a user would start it; resolves once it listens. */
async function serveIn(): Promise<{ cwd: string; url: string; output: () => string }> {
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), "events-two-hubs-")));
  dirs.push(cwd);
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve", "--port", String(port)], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", EVENTS_ADMIN_TOKEN: "two-hubs-admin-token-0123456789", EVENTS_SOCKET: "", EVENTS_DATA_DIR: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await vi.waitFor(() => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${output}`);
    expect(output).toContain("datagrams");
  }, { timeout: 30_000, interval: 20 });
  return { cwd, url: `http://127.0.0.1:${port}`, output: () => output };
}

describe("two hubs with the defaults on one machine", () => {
  it("both run, each with its datagram socket in its own data dir, and each stores what is sent to it", async () => {
    const [a, b] = [await serveIn(), await serveIn()];
    for (const hub of [a, b]) {
      const socket = join(hub.cwd, ".events-hub", "events.sock");
      expect(hub.output()).toContain(`datagrams  ${socket}`);
      const send = "import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(sys.argv[2].encode(), sys.argv[1])\n";
      await promisify(execFile)("python3", ["-c", send, socket, JSON.stringify({ machine_name: "m", event_type: "activity_log", payload: { message: hub.cwd } })]);
    }
    for (const hub of [a, b]) {
      await vi.waitFor(async () => expect(await (await fetch(`${hub.url}/healthz`)).json()).toMatchObject({ position: "-:1" }), { timeout: 15_000 });
    }
  });
});
