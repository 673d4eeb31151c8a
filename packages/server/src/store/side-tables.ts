/**
 * What an append writes besides the events table, in the same transaction: the
 * statemachine columns of machine events (keyed by the event's storage row id), the
 * state of sessions (opened by their first frame, ended once by `done` or `failed`;
 * seqs in the session's stream), and the latest problems snapshot of each project
 * (its seq in the project's stream). Set-based: the batch is folded first (one row per session and per
 * project), then each table takes one statement per chunk, so a batch of 1,000
 * session frames costs a few statements, not 1,000 round trips.
 */
import { sql, type Insertable, type Kysely } from "kysely";
import { TERMINAL_SESSION_KINDS } from "@events/schema";
import type { Database, MachineEventsTable, ProblemSnapshotsTable, SessionsTable } from "./database.js";
import { projectKey, type AppendOutcome, type PreparedEvent } from "./records.js";

/** Rows per multi-row statement: 10 parameters each stays under every dialect's limit. */
const CHUNK = 500;

type SessionRow = Insertable<SessionsTable> & { status: SessionsTable["status"] };

/** The event types that write a side table. */
const SIDE_TABLE_TYPES: ReadonlySet<string> = new Set(["MachineEvent", "SessionEvent", "ProblemsSnapshot"]);

/** Whether any event the append stored writes a side table (most batches write none). */
export function needsSideTables(events: readonly PreparedEvent[], outcomes: readonly AppendOutcome[]): boolean {
  for (let index = 0; index < events.length; index++) {
    if (outcomes[index]!.inserted && SIDE_TABLE_TYPES.has(events[index]!.eventType)) return true;
  }
  return false;
}

/** Machine rows, session state and problem snapshots of the events just inserted, in the caller's open transaction. */
export async function sideTables(
  trx: Kysely<Database>,
  batch: {
    events: readonly PreparedEvent[];
    outcomes: readonly AppendOutcome[];
    /** Storage row ids of the inserted machine events, by event id. */
    machineRows: ReadonlyMap<string, number>;
    at: string;
  },
): Promise<void> {
  const { events, outcomes, machineRows, at } = batch;
  const machines: Insertable<MachineEventsTable>[] = [];
  const sessions = new Map<string, SessionRow>();
  const problems = new Map<string, Insertable<ProblemSnapshotsTable>>();
  // Inserted events come in storage order, each stream's in seq order, so "first" and "latest" below follow seq.
  for (let index = 0; index < events.length; index++) {
    const outcome = outcomes[index]!;
    if (!outcome.inserted) continue;
    const { seq } = outcome;
    const event = events[index]!;
    const envelope = event.envelope;
    if (envelope.event_type === "MachineEvent") {
      const payload = envelope.payload;
      const row = machineRows.get(event.eventId);
      if (row === undefined) throw new Error(`machine event ${event.eventId} has no storage row id`);
      machines.push({
        seq: row,
        source_machine: payload.source,
        target_machine: payload.target,
        event_type: payload.type,
        job_id: payload.job_id ?? null,
        payload: JSON.stringify(payload.payload),
        status: "pending",
        created_at: at,
        processed_at: null,
      });
    } else if (envelope.event_type === "SessionEvent") {
      const kind = envelope.payload.kind;
      const status = TERMINAL_SESSION_KINDS.has(kind) ? (kind as "done" | "failed") : "open";
      const known = sessions.get(envelope.aggregate_id);
      if (known === undefined) {
        sessions.set(envelope.aggregate_id, {
          session_id: envelope.aggregate_id,
          project_uuid: event.project,
          status,
          first_seq: seq,
          last_seq: seq,
          created_at: at,
          updated_at: at,
        });
      } else {
        known.last_seq = seq;
        // A session ends once: the first done/failed wins.
        if (known.status === "open") known.status = status;
      }
    } else if (envelope.event_type === "ProblemsSnapshot") {
      const key = projectKey(event.project);
      problems.set(key, {
        project_key: key,
        seq,
        audit_at: envelope.payload.audit_at,
        findings: JSON.stringify(envelope.payload.findings),
        updated_at: at,
      });
    }
  }
  for (const rows of chunks(machines)) await trx.insertInto("machine_events").values(rows).execute();
  // Upserted in key order: appends to different streams run at once, and two that touch
  // the same rows (a session id used in two projects) then lock them in the same order.
  for (const rows of chunks(byKey(sessions))) await upsertSessions(trx, rows);
  for (const rows of chunks(byKey(problems))) {
    await trx
      .insertInto("problem_snapshots")
      .values(rows)
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

/** A session opens with its first frame and ends, once, with `done` or `failed`. */
async function upsertSessions(trx: Kysely<Database>, rows: SessionRow[]): Promise<void> {
  await trx
    .insertInto("sessions")
    .values(rows)
    .onConflict((conflict) =>
      conflict.column("session_id").doUpdateSet((eb) => ({
        last_seq: eb.ref("excluded.last_seq"),
        updated_at: eb.ref("excluded.updated_at"),
        status: sql<"open" | "done" | "failed">`case when sessions.status = 'open' then excluded.status else sessions.status end`,
      })),
    )
    .execute();
}

function byKey<T>(rows: ReadonlyMap<string, T>): T[] {
  return [...rows.keys()].sort().map((key) => rows.get(key)!);
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let start = 0; start < rows.length; start += CHUNK) yield rows.slice(start, start + CHUNK);
}
