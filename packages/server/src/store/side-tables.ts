/**
 * What an append writes besides the events table, in the same transaction: the
 * statemachine columns of machine events, the state of sessions (opened by their
 * first frame, ended once by `done` or `failed`), and the latest problems snapshot
 * of each project.
 */
import { sql, type Transaction } from "kysely";
import { TERMINAL_SESSION_KINDS, type Envelope } from "@events/schema";
import type { Database } from "./database.js";
import { projectKey, type AppendOutcome, type PreparedEvent } from "./records.js";

/** Machine rows, session state and problem snapshots of the events just inserted. */
export async function sideTables(
  trx: Transaction<Database>,
  batch: { events: readonly PreparedEvent[]; outcomes: readonly AppendOutcome[]; at: string },
): Promise<void> {
  const { events, outcomes, at } = batch;
  for (let index = 0; index < events.length; index++) {
    const outcome = outcomes[index]!;
    if (!outcome.inserted) continue;
    const event = events[index]!;
    const envelope = event.envelope;
    if (envelope.event_type === "MachineEvent") {
      await insertMachineEvent(trx, { seq: outcome.seq, envelope, at });
    } else if (envelope.event_type === "SessionEvent") {
      await upsertSession(trx, { seq: outcome.seq, envelope, project: event.project, at });
    } else if (envelope.event_type === "ProblemsSnapshot") {
      await trx
        .insertInto("problem_snapshots")
        .values({
          project_key: projectKey(event.project),
          seq: outcome.seq,
          audit_at: envelope.payload.audit_at,
          findings: JSON.stringify(envelope.payload.findings),
          updated_at: at,
        })
        .onConflict((conflict) =>
          conflict.column("project_key").doUpdateSet((eb) => ({
            seq: eb.ref("excluded.seq"),
            audit_at: eb.ref("excluded.audit_at"),
            findings: eb.ref("excluded.findings"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute();
    }
  }
}

async function insertMachineEvent(
  trx: Transaction<Database>,
  row: { seq: number; envelope: Extract<Envelope, { event_type: "MachineEvent" }>; at: string },
): Promise<void> {
  const { seq, envelope, at } = row;
  const payload = envelope.payload;
  await trx
    .insertInto("machine_events")
    .values({
      seq,
      source_machine: payload.source,
      target_machine: payload.target,
      event_type: payload.type,
      job_id: payload.job_id ?? null,
      payload: JSON.stringify(payload.payload),
      status: "pending",
      created_at: at,
      processed_at: null,
    })
    .execute();
}

interface SessionUpdate {
  seq: number;
  envelope: Extract<Envelope, { event_type: "SessionEvent" }>;
  project: string | null;
  at: string;
}

/** A session opens with its first frame and ends, once, with `done` or `failed`. */
async function upsertSession(trx: Transaction<Database>, update: SessionUpdate): Promise<void> {
  const kind = update.envelope.payload.kind;
  const status = TERMINAL_SESSION_KINDS.has(kind) ? (kind as "done" | "failed") : "open";
  await trx
    .insertInto("sessions")
    .values({
      session_id: update.envelope.aggregate_id,
      project_uuid: update.project,
      status,
      first_seq: update.seq,
      last_seq: update.seq,
      created_at: update.at,
      updated_at: update.at,
    })
    .onConflict((conflict) =>
      conflict.column("session_id").doUpdateSet((eb) => ({
        last_seq: eb.ref("excluded.last_seq"),
        updated_at: eb.ref("excluded.updated_at"),
        status: sql<"open" | "done" | "failed">`case when sessions.status = 'open' then excluded.status else sessions.status end`,
      })),
    )
    .execute();
}
