/**
 * The hub's schema, one migration list for both dialects. Events are numbered per
 * stream (0003): `stream_seq` comes from the stream's row in `streams`, taken inside
 * each write transaction and held to its commit, so a stream's seqs become visible in
 * order and without holes while writes to other streams go on. Until 0003 one
 * counter row (`hub_seq`, 0002) numbered the whole log on PostgreSQL, and every write
 * of every hub waited for it: three hubs ingested less than one. `events.seq` stays
 * as the storage row id (SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT`, PostgreSQL's
 * sequence): the order rows were stored in, never a position a client sees.
 */
import { sql, type Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";

export type Flavour = "sqlite" | "postgres";

// Migrations run on any database, before its table types mean anything.
type AnyDb = Kysely<unknown>;

function initial(flavour: Flavour): Migration {
  return {
    async up(db: AnyDb) {
      const serial = flavour === "sqlite" ? sql`integer` : sql`bigserial`;
      const big = flavour === "sqlite" ? "integer" : "bigint";
      await db.schema
        .createTable("events")
        .addColumn("seq", serial, (c) => (flavour === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn("event_id", "text", (c) => c.notNull().unique())
        .addColumn("project_uuid", "text")
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("lamport_clock", big, (c) => c.notNull())
        .addColumn("node_id", "text", (c) => c.notNull())
        .addColumn("envelope", "text", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("events_project_seq").on("events").columns(["project_uuid", "seq"]).execute();
      await db.schema.createIndex("events_channel_seq").on("events").columns(["channel", "seq"]).execute();

      await db.schema
        .createTable("machine_events")
        .addColumn("id", serial, (c) => (flavour === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn("seq", big, (c) => c.notNull().unique())
        .addColumn("source_machine", "text", (c) => c.notNull())
        .addColumn("target_machine", "text", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("job_id", "text")
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending").check(sql`status in ('pending', 'processed')`))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("processed_at", "text")
        .execute();
      await db.schema
        .createIndex("machine_events_target_status")
        .on("machine_events")
        .columns(["target_machine", "status"])
        .execute();
      await db.schema.createIndex("machine_events_created").on("machine_events").column("created_at").execute();

      await db.schema
        .createTable("sessions")
        .addColumn("session_id", "text", (c) => c.primaryKey())
        .addColumn("project_uuid", "text")
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('open', 'done', 'failed')`))
        .addColumn("first_seq", big, (c) => c.notNull())
        .addColumn("last_seq", big, (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("problem_snapshots")
        .addColumn("project_key", "text", (c) => c.primaryKey())
        .addColumn("seq", big, (c) => c.notNull())
        .addColumn("audit_at", "text", (c) => c.notNull())
        .addColumn("findings", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_uuid", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("label", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("revoked_at", "text")
        .execute();

      await db.schema
        .createTable("hub_meta")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * PostgreSQL: `seq` from a one-row counter instead of the `bigserial` sequence. A
 * sequence hands out values without waiting for earlier transactions to commit, so
 * two hubs could make seq 11 visible before seq 10; the counter row's lock is held
 * until commit, so they cannot. 0003 keeps that guarantee per stream and drops the counter.
 */
function seqCounter(flavour: Flavour): Migration {
  return {
    async up(db: AnyDb) {
      if (flavour !== "postgres") return;
      await db.schema
        .createTable("hub_seq")
        .addColumn("id", "smallint", (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn("value", "bigint", (c) => c.notNull())
        .execute();
      await sql`insert into hub_seq (id, value) select 1, coalesce(max(seq), 0) from events`.execute(db);
    },
  };
}

/**
 * Streams, in place: every stored event gets its stream (`project_uuid`, or `-`) and
 * its number there, in the order it was stored, so no event is lost or reordered.
 * The last global seq is kept (`legacy_seq_through`) with the old retention
 * watermark (`legacy_pruned_through`), so protocol-1 positions can still be
 * translated; sessions and problem snapshots point at stream seqs from now on.
 */
function streams(flavour: Flavour): Migration {
  return {
    async up(db: AnyDb) {
      // kysely runs SQLite's migrations outside a transaction: this one rewrites every row, so it takes one itself.
      if (flavour === "sqlite") await db.transaction().execute((trx) => toStreams(trx, flavour));
      else await toStreams(db, flavour);
    },
  };
}

async function toStreams(db: AnyDb, flavour: Flavour): Promise<void> {
  const big = flavour === "sqlite" ? "integer" : "bigint";
  // SQLite adds a NOT NULL column only with a default; every append sets both.
  await db.schema.alterTable("events").addColumn("stream", "text", (c) => c.notNull().defaultTo(NO_PROJECT)).execute();
  await db.schema.alterTable("events").addColumn("stream_seq", big, (c) => c.notNull().defaultTo(0)).execute();
  await sql`
    update events set stream = numbered.stream, stream_seq = numbered.stream_seq
    from (
      select seq, coalesce(project_uuid, ${NO_PROJECT}) as stream,
             row_number() over (partition by coalesce(project_uuid, ${NO_PROJECT}) order by seq) as stream_seq
      from events
    ) as numbered
    where numbered.seq = events.seq`.execute(db);
  if (flavour === "postgres") {
    await sql`alter table events alter column stream drop default, alter column stream_seq drop default`.execute(db);
  }
  await db.schema.createIndex("events_stream_seq").on("events").columns(["stream", "stream_seq"]).unique().execute();
  await db.schema.createIndex("events_channel_stream_seq").on("events").columns(["channel", "stream", "stream_seq"]).execute();
  await db.schema.dropIndex("events_project_seq").execute();
  await db.schema.dropIndex("events_channel_seq").execute();

  await db.schema
    .createTable("streams")
    .addColumn("stream", "text", (c) => c.primaryKey())
    .addColumn("head", big, (c) => c.notNull())
    .addColumn("pruned_through", big, (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into streams (stream, head) select stream, max(stream_seq) from events group by stream`.execute(db);

  // A session's and a snapshot's seq become the stream seq of the same event (0 once pruned).
  await sql`update sessions set
    first_seq = coalesce((select stream_seq from events where events.seq = sessions.first_seq), 0),
    last_seq = coalesce((select stream_seq from events where events.seq = sessions.last_seq), 0)`.execute(db);
  await sql`update problem_snapshots set
    seq = coalesce((select stream_seq from events where events.seq = problem_snapshots.seq), 0)`.execute(db);

  // The newest seq handed out, even if pruned since: PostgreSQL's counter, SQLite's AUTOINCREMENT record.
  const newest =
    flavour === "postgres" ? sql<{ through: number | string }>`select value as through from hub_seq where id = 1` : sql<{ through: number | string }>`select coalesce((select seq from sqlite_sequence where name = 'events'), 0) as through`;
  const through = Number((await newest.execute(db)).rows[0]?.through ?? 0);
  await sql`insert into hub_meta (key, value) values (${LEGACY_SEQ_THROUGH}, ${String(through)})`.execute(db);
  await sql`update hub_meta set key = ${LEGACY_PRUNED_THROUGH} where key = 'pruned_through'`.execute(db);
  // Translating a protocol-1 seq finds, per stream, the newest event at or below it: one
  // probe of this index. It covers only the events from before streams, so appends never pay for it.
  if (through > 0) await sql`create index events_legacy_seq on events (stream, seq) where seq <= ${sql.lit(through)}`.execute(db);
  if (flavour === "postgres") {
    await sql`select setval(pg_get_serial_sequence('events', 'seq'), ${Math.max(through, 1)}, ${through > 0})`.execute(db);
    await db.schema.dropTable("hub_seq").execute();
  }
}

/** The stream of events without a project (`NO_PROJECT_STREAM` of @events/schema). */
const NO_PROJECT = "-";

/** `hub_meta` key: the newest protocol-1 seq, handed out before 0003 (0 for a store created empty). */
export const LEGACY_SEQ_THROUGH = "legacy_seq_through";

/** `hub_meta` key: the protocol-1 retention watermark, events up to that seq were pruned before 0003. */
export const LEGACY_PRUNED_THROUGH = "legacy_pruned_through";

/** Migrations by name, applied in name order by kysely's Migrator. */
export function migrationProvider(flavour: Flavour): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve({ "0001_initial": initial(flavour), "0002_seq_counter": seqCounter(flavour), "0003_streams": streams(flavour) }),
  };
}
