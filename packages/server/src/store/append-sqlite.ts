/**
 * `append` on SQLite: one transaction per batch, which is also the only writer the
 * file has, so reading before writing is safe. Events already stored are answered
 * with their stream and seq; each stream in the batch has its `streams` row bumped
 * by its number of new events, and the new events get the seqs up to the new head in
 * batch order. Rows are inserted in batch order too, so within a stream the storage
 * row id grows with the seq, as on PostgreSQL.
 *
 * The events and streams rows are written synchronously through better-sqlite3
 * statements prepared once, while kysely's one connection is held (so no kysely
 * transaction can be open on it): building and compiling the same kysely queries
 * for every commit cost about 0.7 ms before the first subscriber's socket was
 * written, ten times the statements themselves. Only the side tables (machine
 * events, sessions, problem snapshots) go through kysely, and only for batches
 * that have such events.
 */
import type { Kysely } from "kysely";
import type { Database } from "./database.js";
import { appendOutcomes, type AppendOutcome, type PreparedEvent, type StreamSeq } from "./records.js";
import { needsSideTables, sideTables } from "./side-tables.js";

/** The slice of a better-sqlite3 statement used here. */
interface Statement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
}

/** The slice of a better-sqlite3 Database used here (the one kysely's dialect also drives). */
export interface RawSqlite {
  prepare(sql: string): Statement;
  readonly inTransaction: boolean;
}

interface Statements {
  readonly begin: Statement;
  readonly commit: Statement;
  readonly rollback: Statement;
  readonly known: Statement;
  readonly bump: Statement;
  readonly insert: Statement;
}

export class SqliteAppender {
  readonly #db: Kysely<Database>;
  readonly #raw: RawSqlite;
  /** Prepared on first use: after the migrations, which create the tables they name. */
  #statements: Statements | undefined;

  constructor(db: Kysely<Database>, raw: RawSqlite) {
    this.#db = db;
    this.#raw = raw;
  }

  append(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]> {
    return this.#db.connection().execute(async (connection) => {
      const statements = (this.#statements ??= prepare(this.#raw));
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before the first read.
      statements.begin.run();
      try {
        const { outcomes, machineRows } = write(statements, events, receivedAt);
        if (needsSideTables(events, outcomes)) await sideTables(connection, { events, outcomes, machineRows, at: receivedAt });
        statements.commit.run();
        return outcomes;
      } catch (error) {
        // SQLite rolls a transaction back by itself on SQLITE_FULL (and some I/O errors):
        // roll back only what is still open, so the error that says why is the one thrown.
        if (this.#raw.inTransaction) {
          try {
            statements.rollback.run();
          } catch {
            // The original error says more.
          }
        }
        throw error;
      }
    });
  }
}

function prepare(raw: RawSqlite): Statements {
  return {
    begin: raw.prepare("begin immediate"),
    commit: raw.prepare("commit"),
    rollback: raw.prepare("rollback"),
    known: raw.prepare("select stream, stream_seq from events where event_id = ?"),
    bump: raw.prepare("insert into streams (stream, head) values (?, ?) on conflict (stream) do update set head = streams.head + excluded.head returning head"),
    insert: raw.prepare(
      "insert into events (event_id, project_uuid, stream, stream_seq, channel, event_type, lamport_clock, node_id, envelope, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
  };
}

/** The events and streams rows of one batch, inside the open transaction. */
function write(
  statements: Statements,
  events: readonly PreparedEvent[],
  receivedAt: string,
): { outcomes: AppendOutcome[]; machineRows: Map<string, number> } {
  const known = new Map<string, StreamSeq>();
  const fresh: PreparedEvent[] = [];
  const counts = new Map<string, number>();
  // The first occurrence of an id within the batch is the one stored.
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    const row = statements.known.get(event.eventId) as { stream: string; stream_seq: number } | undefined;
    if (row !== undefined) {
      known.set(event.eventId, { stream: row.stream, seq: row.stream_seq });
    } else {
      fresh.push(event);
      counts.set(event.stream, (counts.get(event.stream) ?? 0) + 1);
    }
  }

  // Each stream's next seq: its head before this batch, plus one.
  const next = new Map<string, number>();
  for (const [stream, count] of counts) {
    const { head } = statements.bump.get(stream, count) as { head: number };
    next.set(stream, head - count + 1);
  }
  const inserted = new Map<string, number>();
  const machineRows = new Map<string, number>();
  for (const event of fresh) {
    const seq = next.get(event.stream)!;
    next.set(event.stream, seq + 1);
    inserted.set(event.eventId, seq);
    const { lastInsertRowid } = statements.insert.run(
      event.eventId,
      event.project,
      event.stream,
      seq,
      event.channel,
      event.eventType,
      event.lamport,
      event.nodeId,
      event.json,
      receivedAt,
    );
    if (event.eventType === "MachineEvent") machineRows.set(event.eventId, Number(lastInsertRowid));
  }
  return { outcomes: appendOutcomes(events, { inserted, known }), machineRows };
}
