/** Valid envelopes for tests, built from @events/schema's own fixtures. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { monotonicFactory } from "ulid";
import { envelopeCodec, type Envelope } from "@events/schema";

export const PROJECT_A = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
export const PROJECT_B = "0b7e9c1d-2f3a-4b5c-8d6e-7f8091a2b3c4";

const ulid = monotonicFactory();
const fixtures = fileURLToPath(new URL("../../../schema/fixtures/valid/Envelope/", import.meta.url));

export function fixture(name: string): Envelope {
  return JSON.parse(readFileSync(`${fixtures}${name}.json`, "utf8")) as Envelope;
}

const base = fixture("minimal");
let lamport = 0;

/** A valid WPAssigned event (channel `events`) with a fresh id, in `project` (null by default). */
export function event(overrides: Partial<Record<keyof Envelope, unknown>> = {}): Envelope {
  lamport++;
  return { ...base, event_id: ulid(), lamport_clock: lamport, ...overrides } as Envelope;
}

export function events(count: number, overrides: Partial<Record<keyof Envelope, unknown>> = {}): Envelope[] {
  return Array.from({ length: count }, () => event(overrides));
}

/** A session frame event for session `id`. */
export function sessionEvent(id: string, payload: Record<string, unknown>, project: string | null = null): Envelope {
  const session = fixture("session-phase");
  lamport++;
  return { ...session, event_id: ulid(), lamport_clock: lamport, aggregate_id: id, payload, project_uuid: project, project_slug: null } as Envelope;
}

/** A problems snapshot event. */
export function problemsSnapshot(findings: Record<string, unknown>[], project: string | null = null, auditAt = "2026-11-20T10:00:00Z"): Envelope {
  const snapshot = fixture("problems-snapshot");
  lamport++;
  return {
    ...snapshot,
    event_id: ulid(),
    lamport_clock: lamport,
    payload: { findings, audit_at: auditAt },
    project_uuid: project,
    project_slug: null,
  } as Envelope;
}

/** A machine event from `source` to `target`. */
export function machineEvent(target: string, type = "activity_log", payload: Record<string, unknown> = { message: "hi" }): Envelope {
  const machine = fixture("machine-custom");
  lamport++;
  return {
    ...machine,
    event_id: ulid(),
    lamport_clock: lamport,
    aggregate_id: target,
    payload: { source: "cli", target, type, payload },
    project_uuid: null,
    project_slug: null,
  } as Envelope;
}

/** A valid event whose canonical serialisation is exactly `bytes` long (what max_event_bytes measures). */
export function sizedEvent(bytes: number, project: string | null = null): Envelope {
  const probe = { ...machineEvent("ui", "activity_log", { message: "x" }), project_uuid: project };
  const decoded = envelopeCodec.decode(probe);
  if (!decoded.ok) throw new Error("probe invalid");
  const size = Buffer.byteLength(JSON.stringify(decoded.value));
  const message = "x".repeat(1 + bytes - size);
  return { ...probe, payload: { ...probe.payload, payload: { message } } } as Envelope;
}

/** JSON text padded with trailing spaces to exactly `bytes` (JSON allows trailing whitespace). */
export function padJson(value: unknown, bytes: number): string {
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text);
  if (size > bytes) throw new Error(`already ${size} bytes > ${bytes}`);
  return text + " ".repeat(bytes - size);
}
