/**
 * The hub's store over kysely: the same queries on SQLite and PostgreSQL. `append`
 * writes a whole batch in one transaction, numbering each event in its stream from
 * the stream's row in `streams`, held to commit (append-sqlite.ts, append-postgres.ts):
 * several hubs on one database commit each stream's seqs in order, without holes,
 * and appends to different streams never wait for each other.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, TokensTable } from "./database.js";
import type { HubStore } from "./hub-store.js";
import type { Connection } from "./connect.js";
import type { Flavour } from "./migrations.js";
import { appendPostgres } from "./append-postgres.js";
import { SqliteAppender } from "./append-sqlite.js";
import { readAfter, readBefore, streamHeads } from "./event-reads.js";
import { legacyPosition } from "./legacy-position.js";
import { prune, prunedThrough } from "./retention.js";
import type {
  AppendOutcome,
  MachineEventRecord,
  PreparedEvent,
  ProblemsRecord,
  ReadBeforeQuery,
  ReadQuery,
  SessionRecord,
  StoredEvent,
  StreamSeq,
  TokenRecord,
} from "./records.js";

export class KyselyStore implements HubStore {
  readonly flavour: Flavour;
  readonly #db: Kysely<Database>;
  readonly #release: () => Promise<void>;
  readonly #sqlite: SqliteAppender | undefined;

  constructor(connection: Connection) {
    this.#db = connection.db;
    this.flavour = connection.flavour;
    this.#release = connection.close;
    if (connection.flavour === "sqlite") this.#sqlite = new SqliteAppender(connection.db, connection.sqlite);
  }

  append(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.#sqlite === undefined ? appendPostgres(this.#db, events, receivedAt) : this.#sqlite.append(events, receivedAt);
  }

  readAfter(query: ReadQuery): Promise<StoredEvent[]> {
    return readAfter(this.#db, this.flavour, query);
  }

  readBefore(query: ReadBeforeQuery): Promise<StoredEvent[]> {
    return readBefore(this.#db, this.flavour, query);
  }

  streamHeads(query?: { readonly project?: string | undefined }): Promise<Map<string, number>> {
    return streamHeads(this.#db, query?.project);
  }

  legacyPosition(seq: number): Promise<Map<string, number> | undefined> {
    return legacyPosition(this.#db, seq);
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

  async markMachineProcessed(event: number | StreamSeq, at: string): Promise<boolean> {
    const db = this.#db;
    const row =
      typeof event === "number"
        ? event
        : db.selectFrom("events").select("seq").where("stream", "=", event.stream).where("stream_seq", "=", event.seq);
    const result = await db
      .updateTable("machine_events")
      .set({ status: "processed", processed_at: at })
      .where("seq", "=", row)
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

  prune(keep: number): Promise<number> {
    return prune(this.#db, this.flavour, keep);
  }

  prunedThrough(): Promise<Map<string, number>> {
    return prunedThrough(this.#db);
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
