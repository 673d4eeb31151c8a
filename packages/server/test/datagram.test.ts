/**
 * Datagram ingest proven with the peer statemachine-engine really is: Python's
 * socket module sends to the events socket, and receives on a control socket.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { envelopeCodec } from "@events/schema";
import { startHub } from "../src/index.js";
import { connect } from "../src/store/connect.js";
import { KyselyStore } from "../src/store/kysely-store.js";
import { event, PROJECT_A } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const run = promisify(execFile);

async function pythonSend(path: string, datagram: unknown): Promise<void> {
  const script = "import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(sys.argv[2].encode(), sys.argv[1])\n";
  await run("python3", ["-c", script, path, typeof datagram === "string" ? datagram : JSON.stringify(datagram)]);
}

/** A machine listening on its control socket with python3, as statemachine-engine's engine does; `output()` is what it printed. */
function controlReceiver(path: string): { receiver: ChildProcess; output: () => string } {
  const receiver = spawn("python3", [
    "-c",
    "import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready', flush=True)\ns.settimeout(20)\nprint(s.recv(65536).decode(), flush=True)\n",
    path,
  ]);
  let printed = "";
  receiver.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  return { receiver, output: () => printed };
}

type Machine = { source: string; target: string; type: string; payload: Record<string, unknown> };

function machineOf(frame: { event: unknown }): Machine {
  return (frame.event as { payload: Machine }).payload;
}

/** The activity-log warning the hub wrote for a refusal, once it arrives. */
async function warningFor(reader: TestSocket, reason: string): Promise<Machine> {
  const frame = await reader.next("message", (candidate) => machineOf(candidate).source === "hub" && machineOf(candidate).payload["reason"] === reason);
  return machineOf(frame);
}

/** A valid activity_log datagram of exactly `bytes` bytes of UTF-8 JSON. */
function datagramOfBytes(bytes: number, note: string): string {
  const shell = JSON.stringify({ machine_name: "m", event_type: "activity_log", payload: { message: note, level: "info" } });
  const text = JSON.stringify({ machine_name: "m", event_type: "activity_log", payload: { message: note + " ".repeat(bytes - shell.length), level: "info" } });
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

describe("datagram ingest (unix socket)", () => {
  it("stores and fans out a send-event datagram sent by python3", async () => {
    const withSocket = await testHub({ datagram: true });
    const reader = await TestSocket.open(`${withSocket.wsUrl}/api/v1/ws`, { token: withSocket.admin });
    reader.send({ type: "subscribe", sub: "m", channel: "machine:*" });
    await reader.next("subscribed");
    await pythonSend(withSocket.hub.socketPath!, { machine_name: "worker-1", event_type: "activity_log", payload: { message: "Rendered 12 templates", level: "info" } });
    const message = await reader.next("message");
    expect(message.channel).toBe("machine:ui");
    expect(envelopeCodec.decode(message.event).ok).toBe(true);
    expect(message.event).toMatchObject({
      event_type: "MachineEvent",
      payload: { source: "worker-1", target: "ui", type: "activity_log", payload: { message: "Rendered 12 templates", level: "info" } },
    });
  });

  it("replaces a stale socket file but refuses to take a socket another hub reads", async () => {
    const first = await testHub({ datagram: true });
    const path = first.hub.socketPath!;
    await expect(testHub({ socketPath: path })).rejects.toThrow(/another process is reading/);
    await first.stop();
    // A crashed process leaves its socket file behind: python binds and exits without unlinking.
    await run("python3", ["-c", "import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\n", path]);
    expect(statSync(path).isSocket()).toBe(true);
    const second = await testHub({ socketPath: path });
    expect(second.hub.socketPath).toBe(path);
    await pythonSend(path, { machine_name: "m", event_type: "job_started", payload: {} });
    await vi.waitFor(async () => expect(await (await fetch(`${second.url}/healthz`)).json()).toMatchObject({ streams: 1 }), { timeout: 15_000 });
  });

  it("counts refused datagrams by reason, reports each in the activity log, and keeps going", async () => {
    const hub = await testHub({ datagram: true });
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "ui", channel: "machine:ui" });
    await reader.next("subscribed");
    await pythonSend(hub.hub.socketPath!, "{not json");
    await pythonSend(hub.hub.socketPath!, { event_type: "x" });
    await pythonSend(hub.hub.socketPath!, { machine_name: "m", event_type: "state_change", payload: { from_state: "a" } });
    await vi.waitFor(async () => {
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      expect(metrics).toContain('events_malformed_frames_total{transport="datagram"} 2');
      expect(metrics).toContain('events_datagrams_refused_total{reason="not_json"} 1');
      expect(metrics).toContain('events_datagrams_refused_total{reason="invalid"} 1');
      expect(metrics).toContain('events_datagrams_refused_total{reason="rejected"} 1');
    }, { timeout: 10_000 });
    const shown = await Promise.all(["not_json", "invalid", "rejected"].map((reason) => warningFor(reader, reason)));
    expect(shown.every((machine) => machine.source === "hub" && machine.target === "ui" && machine.payload["level"] === "warning")).toBe(true);
    expect(shown[0]!.payload["message"]).toMatch(/^refused a datagram: not JSON/);
    expect(shown[1]!.payload["message"]).toMatch(/^refused a datagram: not \{machine_name, event_type, payload\}: \/machine_name: expected a value \(required\)/);
    expect(shown[2]!.payload["message"]).toMatch(/^refused a datagram from m: its state_change event is not valid: .*to_state/);
    await pythonSend(hub.hub.socketPath!, { machine_name: "m", event_type: "job_started", payload: {} });
    await reader.next("message", (frame) => machineOf(frame).type === "job_started");
  });

  it("refuses a datagram over maxDatagramBytes as too large, naming the limit, and takes one at the limit", async () => {
    const hub = await testHub({ datagram: true, maxDatagramBytes: 1_000 });
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "ui", channel: "machine:ui" });
    await reader.next("subscribed");
    await pythonSend(hub.hub.socketPath!, datagramOfBytes(1_000, "at the limit"));
    await reader.next("message", (frame) => machineOf(frame).source === "m");
    await pythonSend(hub.hub.socketPath!, datagramOfBytes(1_001, "one over"));
    const warning = await warningFor(reader, "too_large");
    expect(warning.payload["message"]).toBe("refused a datagram: too large: 1001 bytes; the limit is 1000 bytes (maxDatagramBytes)");
    expect(reader.of("message").filter((frame) => machineOf(frame).source === "m")).toHaveLength(1);
  });

  it("says too large, not unparsable, for a datagram past the socket's 64 KiB read", async () => {
    const hub = await testHub({ datagram: true, limits: { max_event_bytes: 131_072 } });
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    reader.send({ type: "subscribe", sub: "ui", channel: "machine:ui" });
    await reader.next("subscribed");
    await pythonSend(hub.hub.socketPath!, datagramOfBytes(65_534, "the default limit"));
    await reader.next("message", (frame) => machineOf(frame).source === "m");
    for (const size of [65_535, 70_000]) {
      await pythonSend(hub.hub.socketPath!, datagramOfBytes(size, "over"));
    }
    const warning = await warningFor(reader, "too_large");
    expect(warning.payload["message"]).toBe(
      "refused a datagram: too large: at least 65535 bytes (cut at the socket's read size); the limit is 65534 bytes (maxDatagramBytes)",
    );
    await vi.waitFor(async () => {
      expect(await (await fetch(`${hub.url}/metrics`)).text()).toContain('events_datagrams_refused_total{reason="too_large"} 2');
    }, { timeout: 10_000 });
  });

  it("takes no socket unless asked: a library's hub binds nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-no-socket-"));
    const hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), logger: "silent" });
    try {
      expect(hub.socketPath).toBeUndefined();
      expect(readdirSync(join(dir, "data")).filter((name) => name.endsWith(".sock"))).toEqual([]);
    } finally {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("forwards to statemachine-engine's own control socket names with controlPrefix", async () => {
    const hub = await testHub({ datagram: true, controlPrefix: "statemachine-control-" });
    const control = join(hub.dir, "statemachine-control-worker1.sock");
    const { receiver, output } = controlReceiver(control);
    try {
      await vi.waitFor(() => expect(output()).toContain("ready"), { timeout: 15_000 });
      await pythonSend(hub.hub.socketPath!, { machine_name: "cli", event_type: "custom_event", target: "worker1", job_id: "job123", payload: { data: "value" } });
      await vi.waitFor(() => expect(output().split("\n").length).toBeGreaterThan(2), { timeout: 10_000 });
      expect(JSON.parse(output().split("\n")[1]!)).toEqual({ type: "custom_event", payload: { data: "value" }, job_id: "job123" });
    } finally {
      receiver.kill();
    }
    await expect(testHub({ controlPrefix: "../x" })).rejects.toThrow(/controlPrefix: expected/);
  });

  it("refuses a maxDatagramBytes the socket cannot honour", async () => {
    await expect(testHub({ datagram: true, maxDatagramBytes: 65_535 })).rejects.toThrow(/maxDatagramBytes: expected at most 65534/);
  });

  it("forwards {type, payload, job_id} to control-<machine>.sock when it exists, and marks the row processed", async () => {
    const hub = await testHub({ datagram: true });
    const control = join(hub.dir, "control-face-processor.sock");
    const { receiver, output } = controlReceiver(control);
    // python3 can take seconds to start on a loaded CI machine.
    await vi.waitFor(() => expect(output()).toContain("ready"), { timeout: 15_000 });
    // An event of a project first: its stream is numbered apart, so the machine event's seq in its own stream is not its row id.
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await writer.publish([event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_A })]);
    writer.close();
    await pythonSend(hub.hub.socketPath!, { machine_name: "controller", event_type: "new_job", target: "face-processor", job_id: "job-7", payload: { image: "a.png" } });
    await pythonSend(hub.hub.socketPath!, { machine_name: "controller", event_type: "new_job", target: "nobody-listening", payload: {} });
    await vi.waitFor(() => expect(output().split("\n").length).toBeGreaterThan(2), { timeout: 10_000 });
    const forwarded = JSON.parse(output().split("\n")[1]!) as unknown;
    expect(forwarded).toEqual({ type: "new_job", payload: { image: "a.png" }, job_id: "job-7" });
    await hub.stop();
    const connection = await connect({ kind: "sqlite", file: join(hub.dir, "data", "hub.db"), synchronous: "normal" });
    const store = new KyselyStore(connection);
    try {
      const rows = await store.machineEvents({ limit: 10 });
      expect(rows.map((row) => [row.target, row.status, row.jobId])).toEqual([
        ["face-processor", "processed", "job-7"],
        ["nobody-listening", "pending", null],
      ]);
    } finally {
      await store.close();
      receiver.kill();
    }
  });
});
