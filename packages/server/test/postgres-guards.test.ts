/**
 * The hub's guards on its PostgreSQL connections: a write that cannot get its
 * stream's row within `pgLockTimeoutMs` is answered `unavailable` (nothing
 * is acked, nothing is lost, the retry is stored), and connections the server ends
 * while idle are replaced without taking the hub down. Each test on a database of
 * its own, since one of them ends every other session in it.
 */
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freshDatabase, storedCounts } from "./cluster/harness.js";
import { events } from "./helpers/envelopes.js";
import { testHub } from "./helpers/hub.js";
import { requirePostgres } from "./helpers/postgres.js";
import { TestSocket } from "./helpers/ws-client.js";

const drops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const drop of drops.splice(0)) await drop().catch(() => undefined);
});

async function database(): Promise<string> {
  const created = await freshDatabase();
  drops.push(created.drop);
  return created.url;
}

describe("PostgreSQL guards", () => {
  it("answers a write that waits for its stream's row past pgLockTimeoutMs with a retryable error, and stores it once the row is free", async (context) => {
    requirePostgres(context);
    const databaseUrl = await database();
    const { wsUrl, url, admin } = await testHub({ backend: "postgres", databaseUrl, pgLockTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      // Another session holds the row of the stream without a project, as a node hung mid-transaction would.
      await locker.query("begin");
      await locker.query("insert into streams (stream, head) values ('-', 0)");
      const socket = await TestSocket.open(`${wsUrl}/api/v1/ws`, { token: admin });
      const batch = events(3);
      const started = Date.now();
      socket.send({ type: "publish", ref: "blocked", events: batch });
      const refused = await socket.next("error", (frame) => frame.ref === "blocked", 10_000);
      expect(refused.code).toBe("unavailable");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(socket.of("ack")).toHaveLength(0);
      // HTTP says the same, as a 503.
      const response = await fetch(`${url}/api/v1/events/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ events: batch }),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unavailable");

      await locker.query("rollback");
      const ack = await socket.publish(batch);
      expect(ack.results.map((result) => result.status)).toEqual(["accepted", "accepted", "accepted"]);
      expect(ack.results.map((result) => ("seq" in result ? [result.stream, result.seq] : []))).toEqual([
        ["-", 1],
        ["-", 2],
        ["-", 3],
      ]);
      expect(await storedCounts(databaseUrl)).toEqual({ rows: 3, distinct: 3, streams: 1, holes: 0 });
      socket.close();
    } finally {
      await locker.end();
    }
  });

  it("retries a write that loses an event id to another writer between its dedup read and its insert, and answers that event duplicate", async (context) => {
    requirePostgres(context);
    const databaseUrl = await database();
    const { wsUrl, admin } = await testHub({ backend: "postgres", databaseUrl });
    const [raced, other] = events(2);
    const rival = new pg.Client({ connectionString: databaseUrl });
    await rival.connect();
    try {
      // The rival (another hub) takes the stream's row and stores `raced`, not committed yet.
      await rival.query("begin");
      const { rows } = await rival.query<{ seq: string }>(
        "insert into streams (stream, head) values ('-', 1) on conflict (stream) do update set head = streams.head + 1 returning head as seq",
      );
      const rivalSeq = Number(rows[0]!.seq);
      await rival.query(
        "insert into events (event_id, project_uuid, stream, stream_seq, channel, event_type, lamport_clock, node_id, envelope, received_at) values ($1, null, '-', $2, 'events', $3, 1, 'rival', $4, 'now')",
        [raced!.event_id, rivalSeq, raced!.event_type, JSON.stringify(raced)],
      );
      const socket = await TestSocket.open(`${wsUrl}/api/v1/ws`, { token: admin });
      socket.send({ type: "publish", ref: "race", events: [raced, other] });
      // The hub has read no `raced` (uncommitted) and waits for the stream's row.
      await vi.waitFor(
        async () => {
          const waiting = await rival.query("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
          expect(waiting.rowCount).toBe(1);
        },
        { timeout: 10_000, interval: 20 },
      );
      await rival.query("commit");
      const ack = await socket.next("ack", (frame) => frame.ref === "race");
      expect(ack.results).toEqual([
        { status: "duplicate", event_id: raced!.event_id, stream: "-", seq: rivalSeq },
        { status: "accepted", event_id: other!.event_id, stream: "-", seq: rivalSeq + 1 },
      ]);
      expect(await storedCounts(databaseUrl)).toEqual({ rows: 2, distinct: 2, streams: 1, holes: 0 });
      socket.close();
    } finally {
      await rival.end();
    }
  });

  it("does not hold retention to pgStatementTimeoutMs (a first prune of a large store is long), only to the lock timeout", async (context) => {
    requirePostgres(context);
    const databaseUrl = await database();
    const { wsUrl, admin, hub } = await testHub({ backend: "postgres", databaseUrl, pgStatementTimeoutMs: 200, retainEvents: 2, retentionIntervalMs: 3_600_000 });
    const socket = await TestSocket.open(`${wsUrl}/api/v1/ws`, { token: admin });
    await socket.publish(events(5));
    socket.close();
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      // A row the prune must delete is locked, so its DELETE runs past the statement timeout.
      await locker.query("begin");
      await locker.query("select seq from events where seq = 1 for update");
      const pruning = hub.prune();
      await vi.waitFor(
        async () => {
          const { rows } = await locker.query<{ long: boolean }>(
            "select clock_timestamp() - query_start > interval '600 ms' as long from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          expect(rows[0]?.long).toBe(true);
        },
        { timeout: 5_000, interval: 20 },
      );
      await locker.query("rollback");
      expect(await pruning).toBe(3);
    } finally {
      await locker.end();
    }
  });

  it("keeps running when the server ends its idle connections, and writes on new ones", async (context) => {
    requirePostgres(context);
    const databaseUrl = await database();
    const warnings: string[] = [];
    const logger = { error: () => undefined, warn: (message: string) => void warnings.push(message), info: () => undefined, debug: () => undefined };
    const { wsUrl, admin } = await testHub({ backend: "postgres", databaseUrl, logger });
    const socket = await TestSocket.open(`${wsUrl}/api/v1/ws`, { token: admin });
    expect((await socket.publish(events(2))).results.every((result) => result.status === "accepted")).toBe(true);

    const killer = new pg.Client({ connectionString: databaseUrl });
    await killer.connect();
    try {
      const ended = await killer.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
      expect(ended.rowCount).toBeGreaterThan(0);
    } finally {
      await killer.end();
    }
    // Unheard, the pool's `error` event would have ended this process.
    await vi.waitFor(() => expect(warnings.some((message) => message.includes("failed while idle"))).toBe(true), { timeout: 5_000, interval: 20 });
    const ack = await socket.publish(events(2));
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "accepted"]);
    expect(await storedCounts(databaseUrl)).toEqual({ rows: 4, distinct: 4, streams: 1, holes: 0 });
    socket.close();
  });
});
