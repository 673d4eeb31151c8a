/**
 * `append` on SQLite: one transaction per batch, which is also the only writer the
 * file has, so reading before writing is safe. Events already stored are answered
 * with their stream and seq; each stream in the batch has its `streams` row bumped
 * by its number of new events (one upsert), and the new events get the seqs up to the
 * new head in batch order. Rows are inserted in batch order too, so within a stream
 * the storage row id grows with the seq, as on PostgreSQL.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";
import { appendOutcomes, type AppendOutcome, type PreparedEvent, type StreamSeq } from "./records.js";
import { sideTables } from "./side-tables.js";

/** Rows per multi-row statement: 10 parameters each stays under every dialect's limit. */
const CHUNK = 500;

/**
 * One transaction, rolled back by hand: SQLite rolls a transaction back by itself on
 * SQLITE_FULL (and some I/O errors), and kysely's own ROLLBACK would then fail with
 * "no transaction is active" and hide why the write failed (a full disk: 507).
 */
export async function appendSqlite(db: Kysely<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  const trx = await db.startTransaction().execute();
  try {
    const outcomes = await appendIn(trx, events, receivedAt);
    await trx.commit().execute();
    return outcomes;
  } catch (error) {
    // Releases the connection even when the rollback itself fails.
    await trx.rollback().execute().catch(() => undefined);
    throw error;
  }
}

async function appendIn(trx: Transaction<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  // The first occurrence of an id within the batch is the one stored.
  const firstOf = new Map<string, PreparedEvent>();
  for (const event of events) if (!firstOf.has(event.eventId)) firstOf.set(event.eventId, event);
  const known = new Map<string, StreamSeq>();
  for (const ids of chunks([...firstOf.keys()])) {
    const rows = await trx.selectFrom("events").select(["event_id", "stream", "stream_seq"]).where("event_id", "in", ids).execute();
    for (const row of rows) known.set(row.event_id, { stream: row.stream, seq: row.stream_seq });
  }

  const fresh = [...firstOf.values()].filter((event) => !known.has(event.eventId));
  const inserted = new Map<string, number>();
  const machineRows = new Map<string, number>();
  if (fresh.length > 0) {
    const counts = new Map<string, number>();
    for (const event of fresh) counts.set(event.stream, (counts.get(event.stream) ?? 0) + 1);
    // Each stream's next seq: its head before this batch, plus one.
    const next = new Map<string, number>();
    for (const rows of chunks([...counts].map(([stream, head]) => ({ stream, head })))) {
      const bumped = await trx
        .insertInto("streams")
        .values(rows)
        .onConflict((conflict) => conflict.column("stream").doUpdateSet({ head: sql<number>`streams.head + excluded.head` }))
        .returning(["stream", "head"])
        .execute();
      for (const row of bumped) next.set(row.stream, row.head - counts.get(row.stream)! + 1);
    }
    for (const batch of chunks(fresh)) {
      const rows = batch.map((event) => {
        const seq = next.get(event.stream)!;
        next.set(event.stream, seq + 1);
        inserted.set(event.eventId, seq);
        return {
          event_id: event.eventId,
          project_uuid: event.project,
          stream: event.stream,
          stream_seq: seq,
          channel: event.channel,
          event_type: event.eventType,
          lamport_clock: event.lamport,
          node_id: event.nodeId,
          envelope: event.json,
          received_at: receivedAt,
        };
      });
      const stored = await trx.insertInto("events").values(rows).returning(["seq", "event_id", "event_type"]).execute();
      for (const row of stored) if (row.event_type === "MachineEvent") machineRows.set(row.event_id, row.seq);
    }
  }

  const outcomes = appendOutcomes(events, { inserted, known });
  await sideTables(trx, { events, outcomes, machineRows, at: receivedAt });
  return outcomes;
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let start = 0; start < rows.length; start += CHUNK) yield rows.slice(start, start + CHUNK);
}
