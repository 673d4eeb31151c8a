/**
 * Ingest: the one path by which events enter the hub, whatever the transport.
 * Each event is answered on its own: decoded by @events/schema, checked against
 * the writer's project, serialised once and size-checked, then stored by the write
 * queue. `accepted` carries the event's stream and new seq there, `duplicate` the
 * stored ones, `rejected` the issues; nothing is answered before the commit.
 */
import { channelOf, envelopeCodec, receivedText, streamOf, type EventResult, type Issue, type Limits } from "@events/schema";
import { writeRefusal, type Principal } from "../auth/principal.js";
import type { PreparedEvent } from "../store/records.js";
import type { WriteQueue } from "../store/write-queue.js";
import type { HubClock } from "./clock.js";

export interface IngestCounts {
  accepted: number;
  duplicate: number;
  rejected: number;
}

export interface IngestResult {
  readonly results: EventResult[];
  readonly lamportClock: number;
  readonly counts: IngestCounts;
}

export interface IngestDeps {
  readonly writer: WriteQueue;
  readonly limits: Readonly<Limits>;
  readonly clock: HubClock;
}

type Checked = { readonly ok: true; readonly event: PreparedEvent } | { readonly ok: false; readonly result: EventResult };

/** Stores what is valid and allowed among `events`; rejects only when the store fails, with a HubError (`storage_full` or `unavailable`). */
export async function ingest(deps: IngestDeps, events: readonly unknown[], principal: Principal): Promise<IngestResult> {
  const checked = events.map((raw, index) => check(deps.limits, { raw, index, principal }));
  const prepared: PreparedEvent[] = [];
  for (const item of checked) if (item.ok) prepared.push(item.event);
  const outcomes = await deps.writer.submit(prepared);
  const counts: IngestCounts = { accepted: 0, duplicate: 0, rejected: 0 };
  let next = 0;
  const results = checked.map((item): EventResult => {
    if (!item.ok) {
      counts.rejected++;
      return item.result;
    }
    const outcome = outcomes[next++]!;
    deps.clock.observe(item.event.lamport);
    if (outcome.inserted) {
      counts.accepted++;
      return { status: "accepted", event_id: item.event.eventId, stream: outcome.stream, seq: outcome.seq };
    }
    counts.duplicate++;
    return { status: "duplicate", event_id: item.event.eventId, stream: outcome.stream, seq: outcome.seq };
  });
  return { results, lamportClock: deps.clock.value, counts };
}

/** Decodes, authorises and serialises one event; never throws. */
export function check(limits: Readonly<Limits>, input: { raw: unknown; index: number; principal: Principal }): Checked {
  const { raw, index, principal } = input;
  const decoded = envelopeCodec.decode(raw);
  if (!decoded.ok) return rejected(raw, index, decoded.issues);
  const envelope = decoded.value;
  const refusal = writeRefusal(principal, envelope.project_uuid);
  if (refusal !== undefined) {
    const expected = principal.kind === "project" ? `project_uuid ${principal.project} (the token's project)` : "a token with write scope";
    return rejected(raw, index, [
      { path: "/project_uuid", expected, received: receivedText(envelope.project_uuid), message: `forbidden: ${refusal}` },
    ]);
  }
  const json = JSON.stringify(envelope);
  const bytes = Buffer.byteLength(json);
  if (bytes > limits.max_event_bytes) {
    return rejected(raw, index, [
      {
        path: "",
        expected: `an event of at most ${limits.max_event_bytes} bytes (max_event_bytes)`,
        received: receivedText(envelope), // its size is in the message
        message: `event too large: ${bytes} bytes > max_event_bytes ${limits.max_event_bytes}; split the payload or store it elsewhere`,
      },
    ]);
  }
  return {
    ok: true,
    event: {
      envelope,
      json,
      eventId: envelope.event_id,
      project: envelope.project_uuid,
      stream: streamOf(envelope.project_uuid),
      channel: channelOf(envelope),
      eventType: envelope.event_type,
      lamport: envelope.lamport_clock,
      nodeId: envelope.node_id,
    },
  };
}

function rejected(raw: unknown, index: number, issues: readonly Issue[]): Checked {
  return { ok: false, result: { status: "rejected", event_id: eventIdOf(raw), index, issues: [...issues] } };
}

/** The event's id when it has a usable one, for the answer; null otherwise. */
function eventIdOf(raw: unknown): string | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const id = (raw as Record<string, unknown>)["event_id"];
  return typeof id === "string" && id.length > 0 && id.length <= 64 ? id : null;
}
