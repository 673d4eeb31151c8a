/**
 * Reading the log by position, stream by stream. The `streams` table says which
 * streams have anything past a position (a few rows, however large the log), and
 * each of those is read on its own index, `(stream, stream_seq)` or
 * `(channel, stream, stream_seq)`: a read costs what it returns, not what the table holds.
 */
import { sql, type Kysely } from "kysely";
import { streamOf } from "@events/schema";
import type { Database } from "./database.js";
import type { Flavour } from "./migrations.js";
import type { EventFilter, ReadBeforeQuery, ReadQuery, StoredEvent } from "./records.js";

/** Each stream's newest committed seq, of one project's stream when given. */
export async function streamHeads(db: Kysely<Database>, project?: string): Promise<Map<string, number>> {
  let select = db.selectFrom("streams").select(["stream", "head"]);
  if (project !== undefined) select = select.where("stream", "=", streamOf(project));
  return new Map((await select.execute()).map((row) => [row.stream, Number(row.head)]));
}

/** After a position: streams in stream order, each one's events in seq order, `limit` in all. */
export async function readAfter(db: Kysely<Database>, flavour: Flavour, query: ReadQuery): Promise<StoredEvent[]> {
  const heads = await streamHeads(db, query.project);
  const events: StoredEvent[] = [];
  for (const stream of [...heads.keys()].sort()) {
    const after = query.after.get(stream) ?? 0;
    const room = query.limit - events.length;
    if (room <= 0) break;
    if (heads.get(stream)! <= after) continue;
    const rows = await filtered(eventsOf(db, stream), flavour, query).where("stream_seq", ">", after).orderBy("stream_seq", "asc").limit(room).execute();
    for (const row of rows) events.push(storedEvent(row));
  }
  return events;
}

/**
 * Before a position, newest first in storage order: each stream's newest `limit`
 * below its bound, merged. Costs up to `limit` rows per stream; it serves history
 * pages, not replay.
 */
export async function readBefore(db: Kysely<Database>, flavour: Flavour, query: ReadBeforeQuery): Promise<StoredEvent[]> {
  const heads = await streamHeads(db, query.project);
  const rows: Row[] = [];
  for (const stream of heads.keys()) {
    const before = query.before.get(stream) ?? Number.POSITIVE_INFINITY;
    if (before <= 1) continue;
    let select = filtered(eventsOf(db, stream), flavour, query);
    if (before !== Number.POSITIVE_INFINITY) select = select.where("stream_seq", "<", before);
    rows.push(...(await select.orderBy("stream_seq", "desc").limit(query.limit).execute()));
  }
  rows.sort((a, b) => b.seq - a.seq);
  return rows.slice(0, query.limit).map(storedEvent);
}

function eventsOf(db: Kysely<Database>, stream: string) {
  return db
    .selectFrom("events")
    .select(["seq", "stream", "stream_seq", "event_id", "project_uuid", "channel", "event_type", "envelope", "lamport_clock"])
    .where("stream", "=", stream);
}

type Select = ReturnType<typeof eventsOf>;
type Row = Awaited<ReturnType<Select["execute"]>>[number];

/** Keeps one channel, or a `prefix:*` pattern's channels. */
function filtered(select: Select, flavour: Flavour, filter: EventFilter): Select {
  const channel = filter.channel;
  if (channel === undefined || channel === "" || channel === "*") return select;
  if (!channel.endsWith(":*")) return select.where("channel", "=", channel);
  const prefix = channel.slice(0, -1);
  // SQLite compares bytes, so a prefix is a range the (channel, ...) index serves; a
  // PostgreSQL database may sort by a locale that ignores punctuation, so it matches exactly.
  if (flavour === "sqlite") return select.where("channel", ">=", prefix).where("channel", "<", prefixUpperBound(prefix));
  return select.where(sql<string>`substr(channel, 1, ${prefix.length})`, "=", prefix);
}

function storedEvent(row: Row): StoredEvent {
  return {
    stream: row.stream,
    seq: Number(row.stream_seq),
    eventId: row.event_id,
    project: row.project_uuid,
    channel: row.channel,
    eventType: row.event_type,
    json: row.envelope,
    lamport: Number(row.lamport_clock),
  };
}

/** The least string above every string that starts with `prefix` (its last character plus one, in byte order). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
