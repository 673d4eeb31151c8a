/**
 * Opens the hub's database: better-sqlite3 behind kysely's SqliteDialect by
 * default, node-postgres behind PostgresDialect when a URL is given. Either way the
 * result is the same `Kysely<Database>`, migrated to the latest schema.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { HubError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { PostgresTimeouts, StoreConfig } from "../options.js";
import type { RawSqlite } from "./append-sqlite.js";
import type { Database } from "./database.js";
import { migrationProvider } from "./migrations.js";
import { SqliteCheckpointer } from "./sqlite-checkpointer.js";
import { cachingDatabase } from "./statement-cache.js";

/** An open store: kysely over either dialect, and on SQLite the better-sqlite3 handle under it (for the append's prepared statements). */
export type Connection = {
  readonly db: Kysely<Database>;
  /** Releases what the connection holds besides the database (the checkpoint worker). */
  readonly close: () => Promise<void>;
} & ({ readonly flavour: "sqlite"; readonly sqlite: RawSqlite } | { readonly flavour: "postgres" });

/** How often the SQLite checkpoint worker folds the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 1_000;

const INT8_OID = 20;

/** Opens and migrates the store; `logger` hears of connections that fail while idle. */
export async function connect(config: StoreConfig, logger?: Logger): Promise<Connection> {
  let connection: Connection;
  try {
    connection = config.kind === "sqlite" ? openSqlite(config) : openPostgres(config.url, config.timeouts, logger);
  } catch (error) {
    throw new HubError("unavailable", `could not open the ${config.kind} store: ${describe(error)}${nativeHint(error)}`, { cause: error });
  }
  try {
    await migrate(connection);
    return connection;
  } catch (error) {
    await connection.db.destroy().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw new HubError("unavailable", `could not open the ${config.kind} store: ${describe(error)}`, { cause: error });
  }
}

function openSqlite(config: Extract<StoreConfig, { kind: "sqlite" }>): Connection {
  mkdirSync(dirname(config.file), { recursive: true });
  const database = new BetterSqlite3(config.file);
  database.pragma("journal_mode = WAL");
  database.pragma(`synchronous = ${config.synchronous === "full" ? "FULL" : "NORMAL"}`);
  database.pragma("busy_timeout = 5000");
  database.pragma("wal_autocheckpoint = 0");
  const checkpointer = new SqliteCheckpointer({
    file: config.file,
    intervalMs: CHECKPOINT_INTERVAL_MS,
    // Without the worker the WAL would only grow: checkpoint on commit again.
    onFailure: () => {
      if (database.open) database.pragma("wal_autocheckpoint = 1000");
    },
  });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(database) }) });
  return { db, flavour: "sqlite", sqlite: database, close: () => checkpointer.stop() };
}

function openPostgres(url: string, timeouts: PostgresTimeouts, logger: Logger | undefined): Connection {
  // bigint columns (seqs, row ids) come back as numbers: they stay far below 2^53.
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    types,
    // A bounded connect time: a hub whose database is gone answers 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    // Sent as startup parameters, so they hold for every statement of every connection
    // (pg sends none that is 0). A node that hangs inside a transaction cannot hold its
    // streams' rows, and with them every write to those streams, for longer than the idle
    // timeout; a writer waiting for such a row gives up after the lock timeout.
    lock_timeout: timeouts.lockTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
  });
  // A connection that fails (the server restarted, or ended the session) emits `error`:
  // the pool re-emits it for an idle one and drops it; a checked-out one emits it
  // itself between queries, and the pool drops it when it is released (no longer
  // queryable). Unheard, either event would end the process.
  pool.on("error", (error: Error) => logger?.warn("a PostgreSQL connection failed while idle; the pool opens a new one", { error: error.message }));
  pool.on("connect", (client: pg.PoolClient) => {
    client.on("error", (error: Error) => logger?.debug("a PostgreSQL connection failed", { error: error.message }));
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), flavour: "postgres", close: () => Promise.resolve() };
}

async function migrate(connection: Connection): Promise<void> {
  // Kysely looks for its migration tables in every schema unless told which one:
  // name the connection's own (its search_path), so hubs in other schemas never confuse it.
  const schema =
    connection.flavour === "postgres"
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(connection.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: connection.db,
    provider: migrationProvider(connection.flavour),
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (error === undefined) return;
    if (attempt < CATALOG_READS && schemaDroppedMeanwhile(error, schema)) {
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      continue;
    }
    throw error instanceof Error ? error : new Error("migration failed", { cause: error });
  }
}

/**
 * Kysely's migrator first reads the columns of every table in every schema (calling
 * `has_schema_privilege` and `pg_get_serial_sequence` on each): a schema that another
 * client of the same database drops during that read fails it with 3F000, naming that
 * schema, before anything is migrated. Reading again is safe; a hub must not fail to
 * start because some other application dropped a schema at that moment.
 */
const CATALOG_READS = 10;

/** Whether `error` is that race: an invalid schema name that is not the hub's own. */
export function schemaDroppedMeanwhile(error: unknown, own: string | undefined): boolean {
  if (typeof error !== "object" || error === null || (error as { code?: unknown }).code !== "3F000") return false;
  const message = error instanceof Error ? error.message : "";
  return own === undefined || !message.includes(`"${own}"`);
}

/** What to do when better-sqlite3's native module is missing or built for another Node. */
function nativeHint(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!/bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|invalid ELF/.test(message)) return "";
  return " (better-sqlite3's native build is missing or made for another Node: approve its install script, `pnpm approve-builds` or `npm install-scripts approve better-sqlite3`, then rebuild it)";
}

function describe(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describe).join("; ");
  return error instanceof Error ? error.message : String(error);
}
