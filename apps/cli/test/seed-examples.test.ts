/**
 * statemachine-engine's `send-event` examples, run by bash exactly as the seed
 * document writes them with `statemachine-db` read as `events`: each is stored and
 * delivered (levels in canonical case), and the machine target's control socket gets
 * the message the seed document shows. The commands are read from the seed document
 * when it is beside the repository (scripts/seed-documents.ts).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startHub, type Hub } from "@events/server";
import { seedDocument } from "../../../scripts/seed-documents.js";
import { BIN } from "./run-cli.js";
import { killSyncers } from "../../../scripts/test-syncers.js";

const ADMIN = "cli-seed-admin-token-0123456789abc";

/** The commands of the seed document, folded onto one line, and what each stores. */
const EXAMPLES: Record<string, { source: string; target: string; type: string; job_id?: string; payload: Record<string, unknown> }> = {
  [`statemachine-db send-event --target ui --type activity_log --payload '{"message": "Task completed", "level": "SUCCESS"}'`]: {
    source: "cli",
    target: "ui",
    type: "activity_log",
    payload: { message: "Task completed", level: "success" },
  },
  [`statemachine-db send-event --target ui --type activity_log --source my_custom_tool --payload '{"message": "Processing file.txt", "level": "INFO"}'`]: {
    source: "my_custom_tool",
    target: "ui",
    type: "activity_log",
    payload: { message: "Processing file.txt", level: "info" },
  },
  [`statemachine-db send-event --target worker1 --type custom_event --job-id job123 --payload '{"data": "value"}'`]: {
    source: "cli",
    target: "worker1",
    type: "custom_event",
    job_id: "job123",
    payload: { data: "value" },
  },
  [`statemachine-db send-event --target ui --type activity_log --payload '{"message": "Task done"}'`]: {
    source: "cli",
    target: "ui",
    type: "activity_log",
    payload: { message: "Task done" },
  },
  [`statemachine-db send-event --target ui --type activity_log --source my_tool --payload '{"message": "Task done"}'`]: {
    source: "my_tool",
    target: "ui",
    type: "activity_log",
    payload: { message: "Task done" },
  },
};

/** The seed's "Machine Control Socket Message" for the worker1 example. */
const CONTROL_MESSAGE = { type: "custom_event", payload: { data: "value" }, job_id: "job123" };

let root: string;
let hub: Hub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "events-cli-seed-"));
  hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(root, "hub"), socketPath: join(root, "events.sock"), controlDir: root, logger: "silent", adminToken: ADMIN });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

function folded(command: string): string {
  return command.replace(/\\\n\s*/g, " ").replace(/\s+/g, " ").trim();
}

describe("statemachine-engine's send-event examples (seed: real-time CLI event delivery)", () => {
  it("the list of examples is every send-event command of the seed document", () => {
    const text = seedDocument("Real-time CLI Event Delivery");
    if (text === undefined) return;
    const commands = [...text.matchAll(/statemachine-db send-event(?:[^\n]*\\\n)*[^\n]*/g)].map((match) => folded(match[0]));
    expect([...new Set(commands)].sort()).toEqual(Object.keys(EXAMPLES).sort());
    const control = /### Machine Control Socket Message\s*```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(JSON.parse(control!.replace(/\s*\/\/.*$/gm, ""))).toEqual(CONTROL_MESSAGE);
  });

  it("runs each as written (statemachine-db read as events): stored, delivered, and worker1's control socket gets the seed's message", async () => {
    const home = join(root, "home");
    // worker1 listens on its control socket, as the engine does.
    const receiver = spawn("python3", [
      "-c",
      "import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready', flush=True)\ns.settimeout(60)\nprint(s.recv(65536).decode(), flush=True)\n",
      join(root, "control-worker1.sock"),
    ]);
    let heard = "";
    receiver.stdout.on("data", (chunk: Buffer) => (heard += chunk.toString()));
    try {
      await vi.waitFor(() => expect(heard).toContain("ready"), { timeout: 20_000 });
      for (const command of Object.keys(EXAMPLES)) {
        const script = `statemachine-db() { "${process.execPath}" "${BIN}" "$@"; }\n${command}`;
        const { stdout } = await promisify(execFile)("bash", ["-c", script], {
          cwd: root,
          env: { ...process.env, NO_COLOR: "1", EVENTS_HOME: home, EVENTS_SERVER_URL: hub.url, EVENTS_TOKEN: ADMIN },
        });
        expect(stdout, command).toContain(`delivered to ${hub.url}`);
      }
      const response = await fetch(`${hub.url}/api/v1/events?channel=machine:*&limit=10`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const page = (await response.json()) as { events: { event: { payload: Record<string, unknown> } }[] };
      const stored = page.events.map((item) => item.event.payload).reverse();
      expect(stored).toEqual(Object.values(EXAMPLES).map((example) => ({ ...example, job_id: example.job_id ?? null })));
      await vi.waitFor(() => expect(heard.split("\n").length).toBeGreaterThan(2), { timeout: 20_000 });
      expect(JSON.parse(heard.split("\n")[1]!)).toEqual(CONTROL_MESSAGE);
    } finally {
      receiver.kill();
      killSyncers([home]); // started by the examples' send-event
    }
  });
});
