/**
 * The seed systems' own messages reach the hub unchanged: statemachine-engine's
 * datagram as its Python `send-event` writes it (the JSON block of the seed
 * document, sent with the same `json.dumps` + `sendto`), the realtime events its
 * engine emits (`time.time()` stamps, `None` ids, `error_message`), and every
 * ExLabWizard frame kind with the fields its structs declare. Examples are read from
 * the seed documents when they are beside the repository (scripts/seed-documents.ts).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES, problemsFrameCodec, sessionFrameCodec } from "@events/schema";
import { DeltaFrame, DoneFrame, FailedFrame, InputRequiredFrame, PhaseFrame, ProgressFrame, SnapshotFrame, WarningFrame } from "@events/schema/typebox";
import { seedDocument } from "../../../scripts/seed-documents.js";
import { problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const run = promisify(execFile);

/** statemachine-engine's database/cli.py (v0.0.20): the datagram, built and sent as it does. */
const SEND_EVENT_PY = `
import json, socket, sys
message = json.loads(sys.argv[2])
ws_event_msg = json.dumps({"machine_name": message["machine_name"], "event_type": message["event_type"], "payload": message["payload"]})
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendto(ws_event_msg.encode('utf-8'), sys.argv[1])
sock.close()
`;

/** The seed's "WebSocket Socket Message", as the document shows it (its comments dropped). */
const SEED_DATAGRAM = { machine_name: "cli", event_type: "activity_log", payload: { message: "Task completed", level: "SUCCESS" } };

/** What the engine (core/engine.py, v0.0.20) puts on the socket for each realtime type. */
const ENGINE_PY = `
import json, socket, sys, time
def emit(event_type, payload):
    data = json.dumps({'machine_name': 'face-processor', 'event_type': event_type, 'payload': payload})
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(data.encode('utf-8'), sys.argv[1])
    s.close()
emit('state_change', {'from_state': 'waiting', 'to_state': 'processing', 'event_trigger': 'new_job', 'timestamp': time.time()})
emit('activity_log', {'message': 'Received new_job', 'level': 'info', 'event_type': 'new_job', 'payload_keys': ['image']})
emit('job_started', {'job_id': 'job123', 'job_type': None, 'timestamp': time.time()})
emit('job_completed', {'job_id': 'job123', 'job_type': None, 'timestamp': time.time()})
emit('error', {'error_message': 'Template not found', 'job_id': None, 'timestamp': time.time()})
`;

type Machine = { source: string; target: string; type: string; payload: Record<string, unknown> };

async function machineReader(hub: Awaited<ReturnType<typeof testHub>>): Promise<TestSocket> {
  const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
  reader.send({ type: "subscribe", sub: "ui", channel: "machine:*" });
  await reader.next("subscribed");
  return reader;
}

const machines = (reader: TestSocket): Machine[] => reader.of("message").map((frame) => (frame.event as { payload: Machine }).payload);

describe("statemachine-engine (seed: real-time CLI event delivery)", () => {
  it("the datagram of the seed document is the one this test sends", () => {
    const text = seedDocument("Real-time CLI Event Delivery");
    if (text === undefined) return;
    const block = /### WebSocket Socket Message\s*```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(block!.replace(/\s*\/\/.*$/gm, ""))).toEqual(SEED_DATAGRAM);
  });

  it("stores the datagram send-event's Python writes, with its level in canonical case", async () => {
    const hub = await testHub({ datagram: true });
    const reader = await machineReader(hub);
    await run("python3", ["-c", SEND_EVENT_PY, hub.hub.socketPath!, JSON.stringify(SEED_DATAGRAM)]);
    await reader.next("message");
    expect(machines(reader)).toEqual([{ source: "cli", target: "ui", type: "activity_log", payload: { message: "Task completed", level: "success" } }]);
  });

  it("stores every realtime event the engine emits, as the engine writes them, with no refusal", async () => {
    const hub = await testHub({ datagram: true });
    const reader = await machineReader(hub);
    await run("python3", ["-c", ENGINE_PY, hub.hub.socketPath!]);
    await reader.next("message", () => reader.of("message").length >= 5);
    const received = machines(reader);
    expect(received.map((machine) => [machine.source, machine.type])).toEqual([
      ["face-processor", "state_change"],
      ["face-processor", "activity_log"],
      ["face-processor", "job_started"],
      ["face-processor", "job_completed"],
      ["face-processor", "error"],
    ]);
    expect(typeof received[0]!.payload["timestamp"]).toBe("number");
    expect(received[4]!.payload).toMatchObject({ error_message: "Template not found", job_id: null });
    expect(await (await fetch(`${hub.url}/metrics`)).text()).not.toContain("events_datagrams_refused_total{");
  });
});

/** ExLabWizard's structs: tag and fields, from `api/events.py` as the seed shows it. */
function exlabStructs(text: string): Map<string, string[]> {
  const structs = new Map<string, string[]>();
  const pattern = /class \w+\(\s*Struct,\s*kw_only=True,\s*tag_field="kind",\s*tag="(\w+)",\s*\):\s*"""[\s\S]*?"""([\s\S]*?)(?=\[docs\]|#|def |$)/g;
  for (const match of text.matchAll(pattern)) {
    structs.set(match[1]!, [...match[2]!.matchAll(/(\w+):\s/g)].map((field) => field[1]!));
  }
  return structs;
}

/** One frame of each kind, with values of the types ExLabWizard's structs declare. */
const FRAMES = {
  phase: { kind: "phase", phase: "rendering_template", at: "2026-11-20T10:00:00Z" },
  progress: { kind: "progress", phase: "running_plugins", current: 2, total: 5 },
  input_required: { kind: "input_required", fields: [{ id: "nas_path", label: "NAS path", type: "string", required: true }], reason: "NAS path missing", plugin: "nas-sync" },
  warning: { kind: "warning", phase: "validating_post_creation", message: "post-validate found a hard-tier finding" },
  done: { kind: "done", result: { path: "/projects/a", sync_status: "queued", blocked: false } },
  failed: { kind: "failed", phase: "writing_cache", error: { code: "E_CACHE", message: "cache directory is read-only" } },
  snapshot: { kind: "snapshot", findings: [{ rule: "missing-readme", offending_path: "/projects/a" }], audit_at: "2026-11-20T10:00:00Z" },
  delta: { kind: "delta", added: [], removed: [], changed: [], audit_at: "2026-11-20T11:00:00Z" },
} as const;

const SCHEMAS = { phase: PhaseFrame, progress: ProgressFrame, input_required: InputRequiredFrame, warning: WarningFrame, done: DoneFrame, failed: FailedFrame, snapshot: SnapshotFrame, delta: DeltaFrame };

describe("ExLabWizard (seed: WebSocket frame envelope types)", () => {
  it("has every frame kind of the seed, each with exactly the fields its struct declares", () => {
    const text = seedDocument("exlab_wizard.api.events");
    const declared = text === undefined ? undefined : exlabStructs(text);
    if (declared !== undefined) expect([...declared.keys()].sort()).toEqual(Object.keys(FRAMES).sort());
    for (const [kind, schema] of Object.entries(SCHEMAS)) {
      const ours = Object.keys(schema.properties).filter((name) => name !== "kind").sort();
      expect(Object.keys(FRAMES[kind as keyof typeof FRAMES]).filter((name) => name !== "kind").sort()).toEqual(ours);
      if (declared !== undefined) expect(declared.get(kind)?.sort(), kind).toEqual(ours);
    }
  });

  it("delivers each session frame kind on the session channel as sent, and closes after the terminal one", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const session = [FRAMES.phase, FRAMES.progress, FRAMES.input_required, FRAMES.warning, FRAMES.done];
    await writer.publish(session.map((frame) => sessionEvent("exlab-1", frame)));
    await writer.publish([sessionEvent("exlab-2", FRAMES.failed)]);
    for (const [id, frames] of [["exlab-1", session], ["exlab-2", [FRAMES.failed]]] as const) {
      const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/${id}/events`, { token: hub.admin });
      expect((await reader.closed).code).toBe(CLOSE_CODES.normal);
      expect(reader.raw.map((text) => JSON.parse(text) as unknown)).toEqual(frames);
      expect(reader.raw.every((text) => sessionFrameCodec.decodeJson(text).ok)).toBe(true);
    }
  });

  it("sends the snapshot on join and a delta on the problems channel", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await writer.publish([problemsSnapshot([...FRAMES.snapshot.findings], null, FRAMES.snapshot.audit_at)]);
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/problems/events`, { token: hub.admin });
    await vi.waitFor(() => expect(reader.raw.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await writer.publish([problemsSnapshot([], null, FRAMES.delta.audit_at)]);
    await vi.waitFor(() => expect(reader.raw.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    const frames = reader.raw.map((text) => JSON.parse(text) as { kind: string });
    expect(frames[0]).toEqual(FRAMES.snapshot);
    expect(frames[1]).toEqual({ ...FRAMES.delta, removed: FRAMES.snapshot.findings });
    expect(reader.raw.every((text) => problemsFrameCodec.decodeJson(text).ok)).toBe(true);
  });
});
