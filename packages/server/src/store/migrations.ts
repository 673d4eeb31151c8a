/**
 * The hub's schema, one migration list for both dialects. The only difference is
 * how `seq` is generated: SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT` (never reuses
 * a value, even after pruning); on PostgreSQL the one-row `hub_seq` counter, taken
 * inside each write transaction and held to its commit (0002), so several hubs on
 * one database commit `seq` values in order and without holes.
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
 * until commit, so they cannot (see the README, "Running a cluster").
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

/** Migrations by name, applied in name order by kysely's Migrator. */
export function migrationProvider(flavour: Flavour): MigrationProvider {
  return {
    getMigrations: () => Promise.resolve({ "0001_initial": initial(flavour), "0002_seq_counter": seqCounter(flavour) }),
  };
}
