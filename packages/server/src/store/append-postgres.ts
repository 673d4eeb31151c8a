/**
 * `append` on PostgreSQL, safe for several hubs on one database. The guarantee the
 * cluster relies on: **`seq` values become visible in order and without holes**.
 *
 * One statement takes the `hub_seq` counter row (`UPDATE ... RETURNING`, which locks
 * it), inserts the new events with `base + 1 .. base + n` and returns them; the row
 * lock is held until COMMIT. A second writer blocks on that row until the first has
 * committed (or rolled back, which also restores the counter), so seq N+1 can never
 * be visible while seq N is not, and no value is ever skipped. A hub that sees seq N
 * therefore knows that every seq below N is already readable in the store.
 *
 * Dedup: events already stored are found before the lock (one `= any($1)` query) and
 * answered with their stored seq. If another hub stores one of the remaining ids
 * between that read and the lock (the same event sent to two hubs at once), the
 * insert fails on the unique `event_id` (a plain INSERT: `ON CONFLICT` would cost a
 * speculative insertion per row for a race that is rare): the whole transaction is
 * rolled back and retried, and the retry answers it `duplicate` with the winner's
 * seq. Both hubs thus answer consistently, and seq stays contiguous.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";
import { appendOutcomes, type AppendOutcome, type PreparedEvent } from "./records.js";
import { sideTables } from "./side-tables.js";

/** The newest seq committed: the counter (it survives pruning every event). */
export const PG_HEAD_SEQ = sql<{ value: string | number }>`select value from hub_seq where id = 1`;

/** Retries after losing an insert race to another hub; each retry finds more ids stored. */
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

export async function appendPostgres(db: Kysely<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => appendOnce(trx, events, receivedAt));
    } catch (error) {
      if (!(error instanceof LostInsertRace) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function appendOnce(trx: Transaction<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
  // The first occurrence of an id within the batch is the one stored.
  const firstOf = new Map<string, PreparedEvent>();
  for (const event of events) if (!firstOf.has(event.eventId)) firstOf.set(event.eventId, event);
  const known = new Map<string, number>();
  const stored = await sql<{ seq: number; event_id: string }>`
    select seq, event_id from events where event_id = any(${[...firstOf.keys()]}::text[])`.execute(trx);
  for (const row of stored.rows) known.set(row.event_id, Number(row.seq));

  const fresh = [...firstOf.values()].filter((event) => !known.has(event.eventId));
  const inserted = new Map<string, number>();
  if (fresh.length > 0) {
    const n = fresh.length;
    // Envelopes travel as one JSON array of strings: JSON.stringify is native and fast,
    // where pg's text[] literal (quoting and escaping each envelope in JavaScript) cost
    // more than PostgreSQL's whole insert. The seqs are `base + ordinality`, so one row
    // comes back instead of n.
    const result = await sql<{ base: string | number }>`
      with counter as (
        update hub_seq set value = value + ${n}::bigint where id = 1 returning value - ${n}::bigint as base
      ), inserted as (
        insert into events (seq, event_id, project_uuid, channel, event_type, lamport_clock, node_id, envelope, received_at)
        select counter.base + row.ord, row.event_id, row.project_uuid, row.channel, row.event_type, row.lamport_clock, row.node_id, env.envelope, ${receivedAt}
        from counter, unnest(
          ${fresh.map((event) => event.eventId)}::text[],
          ${fresh.map((event) => event.project)}::text[],
          ${fresh.map((event) => event.channel)}::text[],
          ${fresh.map((event) => event.eventType)}::text[],
          ${fresh.map((event) => event.lamport)}::bigint[],
          ${fresh.map((event) => event.nodeId)}::text[]
        ) with ordinality as row(event_id, project_uuid, channel, event_type, lamport_clock, node_id, ord)
        join json_array_elements_text(${JSON.stringify(fresh.map((event) => event.json))}::json) with ordinality as env(envelope, ord) using (ord)
        returning 1
      )
      select counter.base, (select count(*) from inserted) as n from counter`
      .execute(trx)
      .catch((error: unknown) => {
        // Another hub stored one of these ids since the read above: no seq may be skipped, so all of it is rolled back and retried.
        throw isEventIdConflict(error) ? new LostInsertRace() : error;
      });
    const row = result.rows[0];
    if (row === undefined) throw new Error("the hub_seq counter row is missing");
    const base = Number(row.base);
    fresh.forEach((event, index) => inserted.set(event.eventId, base + index + 1));
  }

  const outcomes = appendOutcomes(events, { inserted, known });
  await sideTables(trx, { events, outcomes, at: receivedAt });
  return outcomes;
}
