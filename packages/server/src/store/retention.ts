/**
 * Retention: all but the newest events (in storage order) go, and each stream that
 * lost events has its `pruned_through` raised in the same transaction, so a reader
 * never sees events missing without a watermark that says so. The watermarks only
 * grow. Any hub may prune; every hub reads the watermarks before a resume.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";
import type { Flavour } from "./migrations.js";

/** Deletes all but the newest `keep` events; returns how many went. */
export async function prune(db: Kysely<Database>, flavour: Flavour, keep: number): Promise<number> {
  // The newest row to delete: `keep` rows above it stay.
  const cutoff = await db.selectFrom("events").select("seq").orderBy("seq", "desc").offset(Math.max(keep, 0)).limit(1).executeTakeFirst();
  if (cutoff === undefined) return 0;
  return db.transaction().execute(async (trx) => {
    let tops: { stream: string; top: number; count: number }[];
    if (flavour === "postgres") {
      // The first prune of a large store may delete millions of rows: pgStatementTimeoutMs
      // guards the write path, not this (it takes no lock a writer waits for until its end).
      await sql`set local statement_timeout = 0`.execute(trx);
      // One statement: what it reports is exactly what it deleted (a separate read could
      // miss a row committed just before the delete, and leave it gone without a watermark).
      const gone = await sql<{ stream: string; top: number | string; count: number | string }>`
        with gone as (delete from events where seq <= ${cutoff.seq} returning stream, stream_seq)
        select stream, max(stream_seq) as top, count(*) as count from gone group by stream`.execute(trx);
      tops = gone.rows.map((row) => ({ stream: row.stream, top: Number(row.top), count: Number(row.count) }));
    } else {
      // The only writer: what this reads is what the delete below removes.
      const rows = await trx
        .selectFrom("events")
        .select((eb) => ["stream", eb.fn.max("stream_seq").as("top"), eb.fn.countAll().as("count")])
        .where("seq", "<=", cutoff.seq)
        .groupBy("stream")
        .execute();
      await trx.deleteFrom("events").where("seq", "<=", cutoff.seq).execute();
      tops = rows.map((row) => ({ stream: row.stream, top: Number(row.top), count: Number(row.count) }));
    }
    await trx.deleteFrom("machine_events").where("seq", "<=", cutoff.seq).execute();
    await raiseWatermarks(trx, tops);
    return tops.reduce((sum, { count }) => sum + count, 0);
  });
}

/**
 * Last, so the stream rows (which appends lock too) are held only from here to the
 * commit; in stream order, as appends take them, so the two cannot deadlock.
 */
async function raiseWatermarks(trx: Transaction<Database>, tops: readonly { stream: string; top: number }[]): Promise<void> {
  for (const { stream, top } of [...tops].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))) {
    await trx
      .updateTable("streams")
      .set({ pruned_through: sql<number>`case when pruned_through < ${top} then ${top} else pruned_through end` })
      .where("stream", "=", stream)
      .execute();
  }
}

/** Per stream, the seq up to which its events were pruned (streams never pruned are absent). */
export async function prunedThrough(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await db.selectFrom("streams").select(["stream", "pruned_through"]).where("pruned_through", ">", 0).execute();
  return new Map(rows.map((row) => [row.stream, Number(row.pruned_through)]));
}
