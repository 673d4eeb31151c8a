/**
 * Protocol-1 positions (one seq for the whole log, handed out before streams) as
 * per-stream positions. Migration 0003 numbered every stored event in its stream in
 * the order of that old seq and kept the old seq as the row id, so a client that had
 * seen seq n has seen, in each stream, the newest event stored at or below n.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "./database.js";
import { LEGACY_PRUNED_THROUGH, LEGACY_SEQ_THROUGH } from "./migrations.js";

/**
 * Undefined when `seq` cannot be translated: above the last protocol-1 seq (it names
 * nothing this store handed out), or below the protocol-1 retention watermark (events
 * after it are gone, and so is the count of each stream's events before them).
 */
export async function legacyPosition(db: Kysely<Database>, seq: number): Promise<Map<string, number> | undefined> {
  const meta = new Map(
    (await db.selectFrom("hub_meta").select(["key", "value"]).where("key", "in", [LEGACY_SEQ_THROUGH, LEGACY_PRUNED_THROUGH]).execute()).map((row) => [
      row.key,
      Number(row.value),
    ]),
  );
  const through = meta.get(LEGACY_SEQ_THROUGH) ?? 0;
  if (seq > through || seq < (meta.get(LEGACY_PRUNED_THROUGH) ?? 0)) return undefined;
  if (seq === 0) return new Map();
  // `seq <= through` as a literal lets both databases use the partial index events_legacy_seq.
  const rows = await sql<{ stream: string; stream_seq: number | string | null }>`
    select s.stream, (
      select e.stream_seq from events e
      where e.stream = s.stream and e.seq <= ${seq} and e.seq <= ${sql.lit(through)}
      order by e.seq desc limit 1
    ) as stream_seq
    from streams s`.execute(db);
  const position = new Map<string, number>();
  for (const row of rows.rows) if (row.stream_seq !== null) position.set(row.stream, Number(row.stream_seq));
  return position;
}
