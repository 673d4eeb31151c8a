/**
 * `append` on PostgreSQL, safe for several hubs on one database. The guarantee the
 * cluster relies on: **within a stream, seqs become visible in order and without
 * holes**; appends to different streams never wait for each other.
 *
 * One statement bumps the `streams` row of each stream in the batch by its number of
 * new events (an upsert, rows taken in stream order, byte order as everywhere, so two writers cannot deadlock),
 * inserts the events with `head - n + 1 .. head` of their stream, and returns the
 * heads; the row locks are held until COMMIT. A second writer to the same stream
 * blocks on its row until the first has committed (or rolled back, which also
 * restores the head), so seq N+1 of a stream can never be visible while seq N is not,
 * and no value is ever skipped. A hub that sees seq N of a stream therefore knows that
 * every seq below N of that stream is already readable in the store. The storage row
 * id (`seq`) comes from the table's sequence after the stream's row is locked, so
 * within a stream it grows with the stream seq.
 *
 * Dedup: events already stored are found before the locks (one `= any($1)` query)
 * and answered with their stored stream and seq. If another hub stores one of the
 * remaining ids between that read and the insert (the same event sent to two hubs
 * at once), the insert fails on the unique `event_id` (a plain INSERT: `ON CONFLICT`
 * would cost a speculative insertion per row for a race that is rare): the whole
 * transaction is rolled back and retried, and the retry answers it `duplicate` with
 * the winner's seq. Both hubs thus answer consistently, and every stream stays contiguous.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";
import { appendOutcomes, type AppendOutcome, type PreparedEvent, type StreamSeq } from "./records.js";
import { sideTables } from "./side-tables.js";

/** Retries after losing an insert race (or a deadlock) to another hub; each retry finds more ids stored. */
const MAX_ATTEMPTS = 8;

class LostInsertRace extends Error {
  constructor() {
    super("another hub stored one of these events first");
  }
}

/** A unique violation on `event_id` (SQLSTATE 23505), which only a concurrent hub can cause. */
function isEventIdConflict(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === "23505" && constraint === "events_event_id_key";
}

/**
 * SQLSTATE 40P01. Stream rows are taken in order, but two appends to different streams
 * may still wait on each other's new `event_id` (the same event sent under two
 * projects, in opposite orders): PostgreSQL ends one, which is tried again.
 */
function isDeadlock(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "40P01";
}

export async function appendPostgres(db: Kysely<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => appendOnce(trx, events, receivedAt));
    } catch (error) {
      if (!(error instanceof LostInsertRace || isDeadlock(error)) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function appendOnce(trx: Transaction<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  // The first occurrence of an id within the batch is the one stored.
  const firstOf = new Map<string, PreparedEvent>();
  for (const event of events) if (!firstOf.has(event.eventId)) firstOf.set(event.eventId, event);
  const known = new Map<string, StreamSeq>();
  const stored = await sql<{ event_id: string; stream: string; stream_seq: number }>`
    select event_id, stream, stream_seq from events where event_id = any(${[...firstOf.keys()]}::text[])`.execute(trx);
  for (const row of stored.rows) known.set(row.event_id, { stream: row.stream, seq: Number(row.stream_seq) });

  const fresh = [...firstOf.values()].filter((event) => !known.has(event.eventId));
  const inserted = new Map<string, number>();
  const machineRows = new Map<string, number>();
  if (fresh.length > 0) {
    // Each event's place in its stream within this batch (1-based), and each stream's count.
    const counts = new Map<string, number>();
    const places = fresh.map((event) => {
      const place = (counts.get(event.stream) ?? 0) + 1;
      counts.set(event.stream, place);
      return place;
    });
    // Envelopes travel as one JSON array of strings: JSON.stringify is native and fast,
    // where pg's text[] literal (quoting and escaping each envelope in JavaScript) cost
    // more than PostgreSQL's whole insert. An event's seq is its stream's new head plus
    // `place - count` (<= 0), so only the heads come back (and machine events' row ids).
    const result = await sql<{ key: string; value: number | string; is_head: boolean }>`
      with bumped as (
        insert into streams as s (stream, head)
        select stream, n from unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::bigint[]) as c(stream, n)
        order by stream collate "C"
        on conflict (stream) do update set head = s.head + excluded.head
        returning stream, head
      ), inserted as (
        insert into events (event_id, project_uuid, stream, stream_seq, channel, event_type, lamport_clock, node_id, envelope, received_at)
        select fresh.event_id, fresh.project_uuid, fresh.stream, bumped.head + fresh.back, fresh.channel, fresh.event_type,
               fresh.lamport_clock, fresh.node_id, env.envelope, ${receivedAt}
        from unnest(
          ${fresh.map((event) => event.eventId)}::text[],
          ${fresh.map((event) => event.project)}::text[],
          ${fresh.map((event) => event.stream)}::text[],
          ${fresh.map((event, index) => places[index]! - counts.get(event.stream)!)}::bigint[],
          ${fresh.map((event) => event.channel)}::text[],
          ${fresh.map((event) => event.eventType)}::text[],
          ${fresh.map((event) => event.lamport)}::bigint[],
          ${fresh.map((event) => event.nodeId)}::text[]
        ) with ordinality as fresh(event_id, project_uuid, stream, back, channel, event_type, lamport_clock, node_id, ord)
        join json_array_elements_text(${JSON.stringify(fresh.map((event) => event.json))}::json) with ordinality as env(envelope, ord) using (ord)
        join bumped on bumped.stream = fresh.stream
        order by fresh.ord
        returning event_id, seq, event_type
      )
      select stream as key, head as value, true as is_head from bumped
      union all
      select event_id, seq, false from inserted where event_type = 'MachineEvent'`
      .execute(trx)
      .catch((error: unknown) => {
        // Another hub stored one of these ids since the read above: no seq may be skipped, so all of it is rolled back and retried.
        throw isEventIdConflict(error) ? new LostInsertRace() : error;
      });
    const heads = new Map<string, number>();
    for (const row of result.rows) (row.is_head ? heads : machineRows).set(row.key, Number(row.value));
    fresh.forEach((event, index) => {
      const head = heads.get(event.stream);
      if (head === undefined) throw new Error(`the streams row of ${event.stream} came back missing`);
      inserted.set(event.eventId, head - counts.get(event.stream)! + places[index]!);
    });
  }

  const outcomes = appendOutcomes(events, { inserted, known });
  await sideTables(trx, { events, outcomes, machineRows, at: receivedAt });
  return outcomes;
}
