/**
 * Streams on the real PostgreSQL, with several writers at once (as several hubs on one
 * database): an append holds only the rows of its own streams, so writers to other
 * streams go on, writers to the same stream wait for its commit, and every stream is
 * numbered without a hole whatever the interleaving.
 */
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppendOutcome } from "../src/store/records.js";
import { event, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { requirePostgres } from "./helpers/postgres.js";
import { AT, openStore, prepare, storePlace, type Cleanups } from "./helpers/store.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function client(url: string): Promise<pg.Client> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  cleanups.push(() => connection.end());
  return connection;
}

/** Sessions waiting for a lock that `holder` holds (other tests' sessions on the same server are not counted). */
async function blockedBy(holder: pg.Client): Promise<number> {
  const { rows } = await holder.query<{ n: string }>("select count(*) as n from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))");
  return Number(rows[0]!.n);
}

describe("streams on PostgreSQL", () => {
  it("appends to different streams never wait for each other; an append to the same stream waits for its commit and follows it without a hole", async (context) => {
    requirePostgres(context);
    const where = await storePlace("postgres", cleanups);
    const { store } = await openStore("postgres", cleanups, where);
    // Another writer (a hub mid-append) has taken stream A's row and stored A:1, not committed.
    const held = prepare(event({ project_uuid: PROJECT_A }));
    const other = await client(where);
    await other.query("begin");
    const { rows } = await other.query<{ head: string }>(
      "insert into streams (stream, head) values ($1, 1) on conflict (stream) do update set head = streams.head + 1 returning head",
      [PROJECT_A],
    );
    expect(Number(rows[0]!.head)).toBe(1);
    await other.query(
      "insert into events (event_id, project_uuid, stream, stream_seq, channel, event_type, lamport_clock, node_id, envelope, received_at) values ($1, $2, $2, 1, $3, $4, $5, $6, $7, $8)",
      [held.eventId, PROJECT_A, held.channel, held.eventType, held.lamport, held.nodeId, held.json, AT],
    );

    // Stream B commits meanwhile (were it to wait, the store's 5 s lock timeout would fail it).
    expect(await store.append([prepare(event({ project_uuid: PROJECT_B })), prepare(event({ project_uuid: PROJECT_B }))], AT)).toEqual([
      { stream: PROJECT_B, seq: 1, inserted: true },
      { stream: PROJECT_B, seq: 2, inserted: true },
    ]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_B, 2]]));

    // Stream A waits for the open transaction...
    let settled = false;
    const waiting = store.append([prepare(event({ project_uuid: PROJECT_A }))], AT).finally(() => (settled = true));
    await vi.waitFor(async () => expect(await blockedBy(other)).toBe(1), { timeout: 4_000, interval: 20 });
    expect(settled).toBe(false);
    // ...and once it commits, takes the next seq.
    await other.query("commit");
    expect(await waiting).toEqual([{ stream: PROJECT_A, seq: 2, inserted: true }]);
    const stored = await store.readAfter({ after: new Map(), limit: 10, project: PROJECT_A });
    expect(stored.map((row) => [row.eventId, row.seq])).toEqual([
      [held.eventId, 1],
      [expect.any(String), 2],
    ]);
  });

  it("numbers two streams without a hole and in storage order while several connections append batches of both at once", async (context) => {
    requirePostgres(context);
    const where = await storePlace("postgres", cleanups);
    // Four stores on one database, each with its own pool: four hubs.
    const stores = [await openStore("postgres", cleanups, where)];
    for (let index = 1; index < 4; index++) stores.push(await openStore("postgres", cleanups, where));
    const streams = [PROJECT_A, PROJECT_B];
    const batches = Array.from({ length: 40 }, (_, batch) =>
      // Both streams, in either order within the batch (locks are still taken in stream order: no deadlock).
      Array.from({ length: 1 + (batch % 5) }, (_, index) => prepare(event({ project_uuid: streams[(batch + index * (batch % 3)) % 2]! }))),
    );
    const outcomes: AppendOutcome[][] = await Promise.all(batches.map((batch, index) => stores[index % stores.length]!.store.append(batch, AT)));

    const { store } = stores[0]!;
    const heads = await store.streamHeads();
    for (const stream of streams) {
      const answered = outcomes
        .flat()
        .filter((outcome) => outcome.stream === stream)
        .map((outcome) => outcome.seq)
        .sort((a, b) => a - b);
      const count = batches.flat().filter((prepared) => prepared.stream === stream).length;
      expect(answered).toEqual(Array.from({ length: count }, (_, index) => index + 1));
      expect(heads.get(stream)).toBe(count);
    }
    // Within a stream, the storage row id grows with the seq (what readBefore's order relies on).
    const reader = await client(where);
    const { rows } = await reader.query<{ stream: string; stream_seq: string }>("select stream, stream_seq from events order by seq");
    for (const stream of streams) {
      const seqs = rows.filter((row) => row.stream === stream).map((row) => Number(row.stream_seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // Each event was answered where it is stored.
    const stored = await store.readAfter({ after: new Map(), limit: 1_000 });
    const where_ = new Map(stored.map((row) => [row.eventId, { stream: row.stream, seq: row.seq }]));
    batches.forEach((batch, index) => batch.forEach((prepared, at) => expect(where_.get(prepared.eventId)).toEqual({ stream: outcomes[index]![at]!.stream, seq: outcomes[index]![at]!.seq })));
  });

  it("keeps every stream whole above its watermark when prunes run among appends to several streams", async (context) => {
    requirePostgres(context);
    const where = await storePlace("postgres", cleanups);
    const writers = [await openStore("postgres", cleanups, where), await openStore("postgres", cleanups, where)];
    const { store } = writers[0]!;
    const streams = [PROJECT_A, PROJECT_B, null];
    const batch = (round: number) => Array.from({ length: 4 }, (_, index) => prepare(event({ project_uuid: streams[(round + index) % 3] })));
    for (let round = 0; round < 10; round++) await store.append(batch(round), AT);
    // Appends from two writers, each batch over several streams, with prunes from both among them.
    const work: Promise<unknown>[] = [];
    for (let round = 10; round < 40; round++) {
      const writer = writers[round % 2]!.store;
      work.push(writer.append(batch(round), AT));
      if (round % 6 === 0) work.push(writer.prune(25));
    }
    await Promise.all(work);
    await store.prune(25);

    const pruned = await store.prunedThrough();
    const heads = await store.streamHeads();
    const kept = await store.readAfter({ after: new Map(), limit: 1_000 });
    expect(kept.length).toBe(25);
    for (const [stream, head] of heads) {
      const seqs = kept.filter((row) => row.stream === stream).map((row) => row.seq);
      const from = (pruned.get(stream) ?? 0) + 1;
      expect(seqs, stream).toEqual(Array.from({ length: head - from + 1 }, (_, index) => from + index));
    }
  });

  it("retries an append that deadlocks with another writer on the same event ids sent under two projects, and answers them duplicates", async (context) => {
    requirePostgres(context);
    const where = await storePlace("postgres", cleanups);
    const { store } = await openStore("postgres", cleanups, where);
    const [first, second] = [prepare(event({ project_uuid: PROJECT_A })), prepare(event({ project_uuid: PROJECT_A }))];
    const insert = "insert into events (event_id, project_uuid, stream, stream_seq, channel, event_type, lamport_clock, node_id, envelope, received_at) values ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9)";
    const values = (prepared: typeof first, seq: number) => [prepared.eventId, PROJECT_A, seq, prepared.channel, prepared.eventType, prepared.lamport, prepared.nodeId, prepared.json, AT];
    // Another writer stores both in stream A, `first` then `second`, and is the one PostgreSQL lets finish.
    const other = await client(where);
    await other.query("set deadlock_timeout = '30s'");
    await other.query("begin");
    await other.query("insert into streams (stream, head) values ($1, 2)", [PROJECT_A]);
    await other.query(insert, values(first, 1));
    // The store appends them under project B in the other order: it stores `second`, then waits for `first`...
    const underB = [second, first].map((prepared) => ({ ...prepared, project: PROJECT_B, stream: PROJECT_B }));
    const appending = store.append(underB, AT);
    await vi.waitFor(async () => expect(await blockedBy(other)).toBe(1), { timeout: 4_000, interval: 20 });
    // ...while the other writer now waits for `second`: a deadlock, which ends the store's transaction.
    await other.query(insert, values(second, 2));
    await other.query("commit");
    expect(await appending).toEqual([
      { stream: PROJECT_A, seq: 2, inserted: false },
      { stream: PROJECT_A, seq: 1, inserted: false },
    ]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 2]]));
  });
});
