/**
 * The hub's store over kysely: the same queries on SQLite and PostgreSQL. `append`
 * writes a whole batch in one transaction (multi-row inserts, `ON CONFLICT DO
 * NOTHING` for dedup on `event_id`), so one commit covers many events.
 * On PostgreSQL `seq` comes from the `hub_seq` counter row, locked by the insert's
 * own statement and held to commit (append-postgres.ts): several hubs on one
 * database commit `seq` values in order, without holes.
 */
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database, TokensTable } from "./database.js";
import type { HubStore } from "./hub-store.js";
import type { Connection } from "./connect.js";
import type { Flavour } from "./migrations.js";
import { appendPostgres, PG_HEAD_SEQ } from "./append-postgres.js";
import { sideTables } from "./side-tables.js";
import {
  appendOutcomes,
  type EventFilter,
  type AppendOutcome,
  type MachineEventRecord,
  type PreparedEvent,
  type ProblemsRecord,
  type ReadBeforeQuery,
  type ReadQuery,
  type SessionRecord,
  type StoredEvent,
  type TokenRecord,
} from "./records.js";

/** `hub_meta` key of the retention watermark: events up to it were pruned. */
const PRUNED_KEY = "pruned_through";

/** Rows per multi-row INSERT: 9 parameters each stays under every dialect's limit. */
const CHUNK = 500;

export class KyselyStore implements HubStore {
  readonly flavour: Flavour;
  readonly #db: Kysely<Database>;
  readonly #release: () => Promise<void>;

  constructor(connection: Connection) {
    this.#db = connection.db;
    this.flavour = connection.flavour;
    this.#release = connection.close;
  }

  append(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    if (this.flavour === "postgres") return appendPostgres(this.#db, events, receivedAt);
    return this.#appendSqlite(events, receivedAt);
  }

  /**
   * One transaction, rolled back by hand: SQLite rolls a transaction back by itself on
   * SQLITE_FULL (and some I/O errors), and kysely's own ROLLBACK would then fail with
   * "no transaction is active" and hide why the write failed (a full disk: 507).
   */
  async #appendSqlite(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
    const trx = await this.#db.startTransaction().execute();
    try {
      const outcomes = await this.#insertSqlite(trx, events, receivedAt);
      await trx.commit().execute();
      return outcomes;
    } catch (error) {
      // Releases the connection even when the rollback itself fails.
      await trx.rollback().execute().catch(() => undefined);
      throw error;
    }
  }

  async #insertSqlite(trx: Transaction<Database>, events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
    const seqById = new Map<string, number>();
    for (let start = 0; start < events.length; start += CHUNK) {
      const rows = events.slice(start, start + CHUNK).map((event) => ({
        event_id: event.eventId,
        project_uuid: event.project,
        channel: event.channel,
        event_type: event.eventType,
        lamport_clock: event.lamport,
        node_id: event.nodeId,
        envelope: event.json,
        received_at: receivedAt,
      }));
      const inserted = await trx
        .insertInto("events")
        .values(rows)
        .onConflict((conflict) => conflict.column("event_id").doNothing())
        .returning(["seq", "event_id"])
        .execute();
      for (const row of inserted) seqById.set(row.event_id, row.seq);
    }
    const outcomes = await this.#outcomes(trx, events, seqById);
    await sideTables(trx, { events, outcomes, at: receivedAt });
    return outcomes;
  }

  /** Inserted rows by id; the rest are duplicates of rows stored before. */
  async #outcomes(
    trx: Transaction<Database>,
    events: readonly PreparedEvent[],
    fresh: Map<string, number>,
  ): Promise<AppendOutcome[]> {
    const known = new Map<string, number>();
    const missing = [...new Set(events.filter((event) => !fresh.has(event.eventId)).map((event) => event.eventId))];
    for (let start = 0; start < missing.length; start += CHUNK) {
      const rows = await trx
        .selectFrom("events")
        .select(["seq", "event_id"])
        .where("event_id", "in", missing.slice(start, start + CHUNK))
        .execute();
      for (const row of rows) known.set(row.event_id, row.seq);
    }
    return appendOutcomes(events, { inserted: fresh, known });
  }

  readAfter(query: ReadQuery): Promise<StoredEvent[]> {
    return this.#read(query, { op: ">", seq: query.afterSeq, order: "asc" });
  }

  readBefore(query: ReadBeforeQuery): Promise<StoredEvent[]> {
    return this.#read(query, { op: "<", seq: query.beforeSeq, order: "desc" });
  }

  /** Events on one side of a seq, oldest or newest first, filtered by project and channel. */
  async #read(
    query: EventFilter,
    from: { readonly op: ">" | "<"; readonly seq: number; readonly order: "asc" | "desc" },
  ): Promise<StoredEvent[]> {
    let select = this.#db
      .selectFrom("events")
      .select(["seq", "event_id", "project_uuid", "channel", "event_type", "envelope", "lamport_clock"])
      .where("seq", from.op, from.seq);
    if (query.project !== undefined) select = select.where("project_uuid", "=", query.project);
    const channel = query.channel;
    if (channel !== undefined && channel !== "" && channel !== "*") {
      const prefix = channel.slice(0, -1);
      if (!channel.endsWith(":*")) select = select.where("channel", "=", channel);
      // SQLite compares bytes, so a prefix is a range the (channel, seq) index serves; a
      // PostgreSQL database may sort by a locale that ignores punctuation, so it matches exactly.
      else if (this.flavour === "sqlite") select = select.where("channel", ">=", prefix).where("channel", "<", prefixUpperBound(prefix));
      else select = select.where(sql<string>`substr(channel, 1, ${prefix.length})`, "=", prefix);
    }
    const rows = await select.orderBy("seq", from.order).limit(query.limit).execute();
    return rows.map((row) => ({
      seq: row.seq,
      eventId: row.event_id,
      project: row.project_uuid,
      channel: row.channel,
      eventType: row.event_type,
      json: row.envelope,
      lamport: Number(row.lamport_clock),
    }));
  }

  async headSeq(): Promise<number> {
    if (this.flavour === "postgres") return Number((await PG_HEAD_SEQ.execute(this.#db)).rows[0]?.value ?? 0);
    const row = await this.#db.selectFrom("events").select((eb) => eb.fn.max("seq").as("head")).executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  async oldestSeq(): Promise<number | undefined> {
    const row = await this.#db.selectFrom("events").select((eb) => eb.fn.min("seq").as("oldest")).executeTakeFirst();
    return row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest);
  }

  async maxLamport(): Promise<number> {
    const row = await this.#db
      .selectFrom("events")
      .select((eb) => eb.fn.max("lamport_clock").as("clock"))
      .executeTakeFirst();
    return Number(row?.clock ?? 0);
  }

  async session(sessionId: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom("sessions").selectAll().where("session_id", "=", sessionId).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      sessionId: row.session_id,
      project: row.project_uuid,
      status: row.status,
      firstSeq: row.first_seq,
      lastSeq: row.last_seq,
    };
  }

  async latestProblems(): Promise<ProblemsRecord[]> {
    const rows = await this.#db.selectFrom("problem_snapshots").selectAll().execute();
    return rows.map((row) => ({
      projectKey: row.project_key,
      seq: row.seq,
      auditAt: row.audit_at,
      findingsJson: row.findings,
    }));
  }

  async machineEvents(query: {
    target?: string;
    status?: "pending" | "processed";
    limit: number;
  }): Promise<MachineEventRecord[]> {
    let select = this.#db.selectFrom("machine_events").selectAll();
    if (query.target !== undefined) select = select.where("target_machine", "=", query.target);
    if (query.status !== undefined) select = select.where("status", "=", query.status);
    const rows = await select.orderBy("seq", "asc").limit(query.limit).execute();
    return rows.map((row) => ({
      seq: row.seq,
      source: row.source_machine,
      target: row.target_machine,
      type: row.event_type,
      jobId: row.job_id,
      payloadJson: row.payload,
      status: row.status,
      createdAt: row.created_at,
      processedAt: row.processed_at,
    }));
  }

  async markMachineProcessed(seq: number, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("machine_events")
      .set({ status: "processed", processed_at: at })
      .where("seq", "=", seq)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async token(query: { id: string } | { tokenHash: string }): Promise<TokenRecord | undefined> {
    const select = this.#db.selectFrom("tokens").selectAll();
    const row = await ("id" in query ? select.where("id", "=", query.id) : select.where("token_hash", "=", query.tokenHash)).executeTakeFirst();
    return row === undefined ? undefined : tokenRecord(row);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.#db
      .insertInto("tokens")
      .values({
        id: token.id,
        project_uuid: token.project,
        scopes: token.scopes.join(","),
        token_hash: token.tokenHash,
        label: token.label,
        created_at: token.createdAt,
        revoked_at: token.revokedAt,
      })
      .execute();
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.#db.selectFrom("tokens").selectAll().orderBy("created_at", "asc").execute();
    return rows.map(tokenRecord);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("tokens")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom("hub_meta").select("value").where("key", "=", key).executeTakeFirst();
    return row?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#db
      .insertInto("hub_meta")
      .values({ key, value })
      .onConflict((conflict) => conflict.column("key").doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })))
      .execute();
  }

  async claimMeta(key: string, value: string): Promise<string> {
    await this.#db.insertInto("hub_meta").values({ key, value }).onConflict((conflict) => conflict.column("key").doNothing()).execute();
    return (await this.getMeta(key)) ?? value;
  }

  async prune(keep: number): Promise<number> {
    const head = await this.headSeq();
    const cutoff = head - keep;
    if (cutoff <= 0) return 0;
    return this.#db.transaction().execute(async (trx) => {
      // The first prune of a large store may delete millions of rows: pgStatementTimeoutMs
      // guards the write path, not this (it takes no lock a writer waits for).
      if (this.flavour === "postgres") await sql`set local statement_timeout = 0`.execute(trx);
      await trx.deleteFrom("machine_events").where("seq", "<=", cutoff).execute();
      const result = await trx.deleteFrom("events").where("seq", "<=", cutoff).executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      // The watermark commits with the deletes (never one without the other), and only
      // grows: every hub reads it before a resume, whichever hub pruned.
      if (deleted > 0) {
        await trx
          .insertInto("hub_meta")
          .values({ key: PRUNED_KEY, value: String(cutoff) })
          .onConflict((conflict) =>
            conflict.column("key").doUpdateSet({
              value: sql<string>`case when cast(hub_meta.value as bigint) < cast(excluded.value as bigint) then excluded.value else hub_meta.value end`,
            }),
          )
          .execute();
      }
      return deleted;
    });
  }

  async prunedThrough(): Promise<number> {
    return Number((await this.getMeta(PRUNED_KEY)) ?? 0);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
    await this.#release();
  }
}

function tokenRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    project: row.project_uuid,
    scopes: row.scopes.split(",").filter((scope): scope is "read" | "write" => scope === "read" || scope === "write"),
    tokenHash: row.token_hash,
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** The least string above every string that starts with `prefix` (its last character plus one, in byte order). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
