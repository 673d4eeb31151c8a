/**
 * Migration 0003 (streams) on a store written by the hub before it: every event is
 * kept, numbered in its stream in the order it was stored, the stream heads match,
 * protocol-1 positions translate exactly, and sessions, snapshots and machine events
 * still point at their events. On SQLite and on the real PostgreSQL.
 */
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { connect, schemaDroppedMeanwhile } from "../src/store/connect.js";
import { migrationProvider } from "../src/store/migrations.js";
import type { PreparedEvent } from "../src/store/records.js";
import { event, machineEvent, PROJECT_A, PROJECT_B, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { requirePostgres } from "./helpers/postgres.js";
import { AT, openStore, prepare, storeConfig, storePlace, type Backend, type Cleanups } from "./helpers/store.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PROJECT_C = "3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f";
const NO_PROJECT = "-";
/** The old retention watermark: events up to this protocol-1 seq were pruned before the upgrade. */
const PRUNED = 5;

/** A store at migration 0002, as the hub left it before streams. */
async function storeAt0002(backend: Backend, where: string): Promise<Kysely<unknown>> {
  const db =
    backend === "sqlite"
      ? new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(where) }) })
      : new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: where, max: 1 }) }) });
  const schema = backend === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider(backend), ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  // As the hub does (src/store/connect.ts): a schema another test file drops during the catalog read is read past.
  let { error, results } = await migrator.migrateTo("0002_seq_counter");
  for (let attempt = 1; attempt < 10 && error !== undefined && schemaDroppedMeanwhile(error, schema); attempt++) {
    ({ error, results } = await migrator.migrateTo("0002_seq_counter"));
  }
  if (error !== undefined) throw error instanceof Error ? error : new Error("migration failed", { cause: error });
  expect(results?.map((result) => result.migrationName)).toEqual(["0001_initial", "0002_seq_counter"]);
  return db;
}

/** One event stored as the hub did before 0003 (the seq from AUTOINCREMENT, or from hub_seq); returns its seq. */
async function oldAppend(db: Kysely<unknown>, backend: Backend, event: PreparedEvent): Promise<number> {
  const values = sql.join([event.eventId, event.project, event.channel, event.eventType, event.lamport, event.nodeId, event.json, AT]);
  const inserted =
    backend === "sqlite"
      ? sql<{ seq: number }>`insert into events (event_id, project_uuid, channel, event_type, lamport_clock, node_id, envelope, received_at) values (${values}) returning seq`
      : sql<{ seq: string }>`
          with counter as (update hub_seq set value = value + 1 where id = 1 returning value)
          insert into events (seq, event_id, project_uuid, channel, event_type, lamport_clock, node_id, envelope, received_at)
          select counter.value, ${values} from counter returning seq`;
  return Number((await inserted.execute(db)).rows[0]!.seq);
}

/** A store written before 0003 (40 events over three projects and none, a session, a snapshot, a machine event, an old prune), then opened: migrated. */
async function upgraded(backend: Backend) {
  const where = await storePlace(backend, cleanups);
  const old = await storeAt0002(backend, where);

  // 40 events over three projects and none, interleaved unevenly; a session, a snapshot, a machine event among them.
  const projects = [PROJECT_A, null, PROJECT_B, PROJECT_A, PROJECT_C, PROJECT_A, null];
  const sent: PreparedEvent[] = Array.from({ length: 40 }, (_, index) => {
    const project = projects[(index * 3 + (index >> 2)) % projects.length]!;
    if (index === 12) return prepare(sessionEvent("s_old", { kind: "phase", phase: "p", at: AT }, PROJECT_B));
    if (index === 20) return prepare(sessionEvent("s_old", { kind: "done", result: {} }, PROJECT_B));
    if (index === 25) return prepare(problemsSnapshot([{ rule: "r", offending_path: "/a" }], PROJECT_C));
    if (index === 30) return prepare(machineEvent("worker"));
    return prepare(event({ project_uuid: project }));
  });
  const oldSeq = new Map<string, number>();
  for (const prepared of sent) oldSeq.set(prepared.eventId, await oldAppend(old, backend, prepared));
  const seqOf = (index: number) => oldSeq.get(sent[index]!.eventId)!;
  expect([...oldSeq.values()]).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
  await sql`insert into sessions (session_id, project_uuid, status, first_seq, last_seq, created_at, updated_at)
    values ('s_old', ${PROJECT_B}, 'done', ${seqOf(12)}, ${seqOf(20)}, ${AT}, ${AT})`.execute(old);
  await sql`insert into problem_snapshots (project_key, seq, audit_at, findings, updated_at)
    values (${PROJECT_C}, ${seqOf(25)}, ${AT}, '[]', ${AT})`.execute(old);
  await sql`insert into machine_events (seq, source_machine, target_machine, event_type, job_id, payload, status, created_at)
    values (${seqOf(30)}, 'cli', 'worker', 'activity_log', null, '{}', 'pending', ${AT})`.execute(old);
  // Retention as it was: the oldest events deleted, one watermark for the whole log.
  await sql`delete from events where seq <= ${PRUNED}`.execute(old);
  await sql`insert into hub_meta (key, value) values ('pruned_through', ${String(PRUNED)})`.execute(old);
  await old.destroy();

  // What 0003 must produce: survivors numbered per stream in old seq order.
  const survivors = sent.filter((prepared) => oldSeq.get(prepared.eventId)! > PRUNED);
  const expected = new Map<string, { stream: string; seq: number; old: number }>();
  const heads = new Map<string, number>();
  for (const prepared of survivors) {
    const seq = (heads.get(prepared.stream) ?? 0) + 1;
    heads.set(prepared.stream, seq);
    expected.set(prepared.eventId, { stream: prepared.stream, seq, old: oldSeq.get(prepared.eventId)! });
  }
  expect(heads.size).toBe(4);

  const { store } = await openStore(backend, cleanups, where);
  return { store, sent, seqOf, expected, heads };
}

describe.each(["sqlite", "postgres"] as const)("migration 0003 on %s", (backend) => {
  it("keeps every event, numbered in its stream in stored order, with heads, protocol-1 positions, sessions, snapshots and machine events intact", async (context) => {
    if (backend === "postgres") requirePostgres(context);
    const { store, sent, seqOf, expected, heads } = await upgraded(backend);
    const rows = await store.readAfter({ after: new Map(), limit: 1_000 });
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      const wanted = expected.get(row.eventId)!;
      expect([row.stream, row.seq]).toEqual([wanted.stream, wanted.seq]);
      expect(row.json).toBe(sent.find((prepared) => prepared.eventId === row.eventId)!.json);
    }
    expect(await store.streamHeads()).toEqual(heads);
    expect(await store.prunedThrough()).toEqual(new Map());

    // Every protocol-1 position: the newest stream seq at or below it, per stream;
    // untranslatable below the old watermark and above the last seq handed out.
    for (let n = 0; n <= 41; n++) {
      const position = await store.legacyPosition(n);
      if (n < PRUNED || n > 40) {
        expect(position, `legacy ${n}`).toBeUndefined();
        continue;
      }
      const wanted = new Map<string, number>();
      for (const { stream, seq, old } of expected.values()) if (old <= n) wanted.set(stream, seq);
      expect(position, `legacy ${n}`).toEqual(wanted);
    }

    const streamSeq = (index: number) => expected.get(sent[index]!.eventId)!.seq;
    expect(await store.session("s_old")).toEqual({ sessionId: "s_old", project: PROJECT_B, status: "done", firstSeq: streamSeq(12), lastSeq: streamSeq(20) });
    expect(await store.latestProblems()).toEqual([{ projectKey: PROJECT_C, seq: streamSeq(25), auditAt: AT, findingsJson: "[]" }]);
    expect((await store.machineEvents({ limit: 10 })).map((row) => row.seq)).toEqual([seqOf(30)]);

    // Appends continue each stream, and new storage row ids start above the old seqs.
    const after = [prepare(event({ project_uuid: PROJECT_A })), prepare(event({ project_uuid: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" })), prepare(machineEvent("worker"))];
    expect(await store.append(after, AT)).toEqual([
      { stream: PROJECT_A, seq: heads.get(PROJECT_A)! + 1, inserted: true },
      { stream: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", seq: 1, inserted: true },
      { stream: NO_PROJECT, seq: heads.get(NO_PROJECT)! + 1, inserted: true },
    ]);
    const machines = await store.machineEvents({ limit: 10 });
    expect(machines.length).toBe(2);
    expect(machines[1]!.seq).toBeGreaterThan(40);
    // A position from after the upgrade is not a protocol-1 one.
    expect(await store.legacyPosition(41)).toBeUndefined();
  });

  it("after a prune since the upgrade, answers a protocol-1 position exactly or below the stream's watermark, never past a lost event", async (context) => {
    if (backend === "postgres") requirePostgres(context);
    const { store, expected } = await upgraded(backend);
    // 35 events survived the old prune (protocol-1 seqs 6..40); keep the newest 20.
    expect(await store.prune(20)).toBe(15);
    const pruned = await store.prunedThrough();
    expect(pruned.size).toBeGreaterThan(0);
    for (let n = PRUNED; n <= 40; n++) {
      const position = (await store.legacyPosition(n))!;
      for (const stream of new Set([...expected.values()].map((row) => row.stream))) {
        // What the client had seen of the stream: its newest event at or below n, pruned or not.
        const seen = Math.max(0, ...[...expected.values()].filter((row) => row.stream === stream && row.old <= n).map((row) => row.seq));
        const translated = position.get(stream) ?? 0;
        const through = pruned.get(stream) ?? 0;
        // Exact, or below the watermark, where the resume answers a reset (position_unavailable).
        if (translated !== seen) expect({ n, stream, translated, below: translated < through && seen <= through }).toEqual({ n, stream, translated, below: true });
      }
    }
  });

  it("leaves the store as it was when the migration fails part way, and migrates it on the next start", async (context) => {
    if (backend === "postgres") requirePostgres(context);
    const where = await storePlace(backend, cleanups);
    const old = await storeAt0002(backend, where);
    const sent = [prepare(event({ project_uuid: PROJECT_A })), prepare(event())];
    for (const prepared of sent) await oldAppend(old, backend, prepared);
    // A table in the way: 0003 has numbered the events by the time it tries to create `streams`.
    await sql`create table streams (x integer)`.execute(old);
    await expect(connect(storeConfig(backend, where))).rejects.toMatchObject({ code: "unavailable" });
    const columns = await sql<{ stream: string }>`select * from events`.execute(old);
    expect(columns.rows.length).toBe(2);
    expect(columns.rows.every((row) => !("stream" in row))).toBe(true);
    await sql`drop table streams`.execute(old);
    await old.destroy();
    const { store } = await openStore(backend, cleanups, where);
    expect((await store.readAfter({ after: new Map(), limit: 10 })).map((row) => [row.eventId, row.stream, row.seq])).toEqual([
      [sent[1]!.eventId, NO_PROJECT, 1],
      [sent[0]!.eventId, PROJECT_A, 1],
    ]);
  });

  it("migrates an empty store: no streams, and only protocol-1 position 0 translates", async (context) => {
    if (backend === "postgres") requirePostgres(context);
    const where = await storePlace(backend, cleanups);
    await (await storeAt0002(backend, where)).destroy();
    const { store } = await openStore(backend, cleanups, where);
    expect(await store.streamHeads()).toEqual(new Map());
    expect(await store.legacyPosition(0)).toEqual(new Map());
    expect(await store.legacyPosition(1)).toBeUndefined();
    expect(await store.append([prepare(event())], AT)).toEqual([{ stream: NO_PROJECT, seq: 1, inserted: true }]);
  });
});
