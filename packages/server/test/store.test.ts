/**
 * The store's contract, run unchanged against SQLite and PostgreSQL (the real
 * server; a fresh schema per test).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { channelOf, envelopeCodec, type Envelope } from "@events/schema";
import { connect } from "../src/store/connect.js";
import type { HubStore } from "../src/store/hub-store.js";
import { KyselyStore } from "../src/store/kysely-store.js";
import type { PreparedEvent } from "../src/store/records.js";
import { event, machineEvent, PROJECT_A, PROJECT_B, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { freshSchema, requirePostgres } from "./helpers/postgres.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(backend: "sqlite" | "postgres", existing?: string): Promise<{ store: HubStore; where: string }> {
  let where = existing;
  if (where === undefined) {
    if (backend === "sqlite") {
      const dir = mkdtempSync(join(tmpdir(), "events-store-test-"));
      cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
      where = join(dir, "hub.db");
    } else {
      const schema = await freshSchema();
      cleanups.push(schema.drop);
      where = schema.url;
    }
  }
  const connection = await connect(backend === "sqlite" ? { kind: "sqlite", file: where, synchronous: "normal" } : { kind: "postgres", url: where, timeouts: { lockTimeoutMs: 5_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 10_000 } });
  const store = new KyselyStore(connection);
  cleanups.push(() => store.close());
  return { store, where };
}

function prepare(envelope: Envelope): PreparedEvent {
  const decoded = envelopeCodec.decode(envelope);
  if (!decoded.ok) throw new Error(JSON.stringify(decoded.issues));
  const value = decoded.value;
  return {
    envelope: value,
    json: JSON.stringify(value),
    eventId: value.event_id,
    project: value.project_uuid,
    channel: channelOf(value),
    eventType: value.event_type,
    lamport: value.lamport_clock,
    nodeId: value.node_id,
  };
}

const AT = "2026-11-20T10:00:00.000Z";

describe.each(["sqlite", "postgres"] as const)("store on %s", (backend) => {
  const setup = async (context: { skip: (note?: string) => void }) => {
    if (backend === "postgres") requirePostgres(context);
    return open(backend);
  };

  it("migrates once and can be opened again", async (context) => {
    const { store, where } = await setup(context);
    await store.append([prepare(event())], AT);
    await store.close();
    cleanups.pop();
    const again = await open(backend, where);
    expect(await again.store.headSeq()).toBe(1);
  });

  it("assigns increasing seq and dedups on event_id across and within batches", async (context) => {
    const { store } = await setup(context);
    const [a, b, c] = [prepare(event()), prepare(event()), prepare(event())];
    const first = await store.append([a, b], AT);
    expect(first.map((outcome) => outcome.inserted)).toEqual([true, true]);
    expect(first[1]!.seq).toBeGreaterThan(first[0]!.seq);
    const second = await store.append([b, c, c, a], AT);
    expect(second).toEqual([
      { seq: first[1]!.seq, inserted: false },
      { seq: second[1]!.seq, inserted: true },
      { seq: second[1]!.seq, inserted: false },
      { seq: first[0]!.seq, inserted: false },
    ]);
    expect(second[1]!.seq).toBeGreaterThan(first[1]!.seq);
    expect(await store.headSeq()).toBe(second[1]!.seq);
    expect(await store.maxLamport()).toBe(Math.max(a.lamport, b.lamport, c.lamport));
  });

  it("stores the envelope text as given and reads it back by position, channel and project", async (context) => {
    const { store } = await setup(context);
    const inA = prepare(event({ project_uuid: PROJECT_A }));
    const inB = prepare(event({ project_uuid: PROJECT_B }));
    const session = prepare(sessionEvent("s_1", { kind: "phase", phase: "p", at: AT }, PROJECT_A));
    const machine = prepare(machineEvent("worker-1"));
    const outcomes = await store.append([inA, inB, session, machine], AT);
    const all = await store.readAfter({ afterSeq: 0, limit: 10 });
    expect(all.map((row) => row.eventId)).toEqual([inA, inB, session, machine].map((prepared) => prepared.eventId));
    expect(all[0]!.json).toBe(inA.json);
    expect(all.map((row) => row.seq)).toEqual(outcomes.map((outcome) => outcome.seq));
    expect((await store.readAfter({ afterSeq: outcomes[0]!.seq, limit: 10 })).length).toBe(3);
    expect((await store.readAfter({ afterSeq: 0, limit: 2 })).length).toBe(2);
    expect((await store.readAfter({ afterSeq: 0, limit: 10, project: PROJECT_A })).map((row) => row.eventId)).toEqual([inA.eventId, session.eventId]);
    expect((await store.readAfter({ afterSeq: 0, limit: 10, channel: "session:*" })).map((row) => row.channel)).toEqual(["session:s_1"]);
    expect((await store.readAfter({ afterSeq: 0, limit: 10, channel: "machine:worker-1" })).length).toBe(1);
    expect((await store.readAfter({ afterSeq: 0, limit: 10, channel: "events", project: PROJECT_B })).map((row) => row.eventId)).toEqual([inB.eventId]);
  });

  it("matches a prefix:* channel exactly, forwards and backwards, whatever sorts next to it", async (context) => {
    const { store } = await setup(context);
    const channels = ["session:a", "sessions", "session;b", "session", "session:", "machine:session:c"];
    const stored = channels.map((channel) => ({ ...prepare(event()), channel }));
    await store.append(stored, AT);
    const forwards = await store.readAfter({ afterSeq: 0, limit: 10, channel: "session:*" });
    const backwards = await store.readBefore({ beforeSeq: Number.MAX_SAFE_INTEGER, limit: 10, channel: "session:*" });
    expect(forwards.map((row) => row.channel)).toEqual(["session:a", "session:"]);
    expect(backwards.map((row) => row.channel)).toEqual(["session:", "session:a"]);
    expect(backwards[0]!.lamport).toBe(stored[4]!.lamport);
  });

  it("keeps machine events in statemachine columns, pending until processed", async (context) => {
    const { store } = await setup(context);
    const [outcome] = await store.append([prepare(machineEvent("face-processor", "new_job", { image: "a.png" }))], AT);
    const [row] = await store.machineEvents({ target: "face-processor", status: "pending", limit: 10 });
    expect(row).toEqual({
      seq: outcome!.seq,
      source: "cli",
      target: "face-processor",
      type: "new_job",
      jobId: null,
      payloadJson: JSON.stringify({ image: "a.png" }),
      status: "pending",
      createdAt: AT,
      processedAt: null,
    });
    await store.markMachineProcessed(outcome!.seq, "2026-11-20T10:00:01.000Z");
    expect(await store.machineEvents({ status: "pending", limit: 10 })).toEqual([]);
    expect((await store.machineEvents({ status: "processed", limit: 10 }))[0]?.processedAt).toBe("2026-11-20T10:00:01.000Z");
  });

  it("tracks sessions: open with the first frame, ended once by done or failed", async (context) => {
    const { store } = await setup(context);
    const outcomes = await store.append(
      [
        prepare(sessionEvent("s_2", { kind: "phase", phase: "p", at: AT }, PROJECT_A)),
        prepare(sessionEvent("s_2", { kind: "done", result: {} }, PROJECT_A)),
      ],
      AT,
    );
    expect(await store.session("s_2")).toEqual({ sessionId: "s_2", project: PROJECT_A, status: "done", firstSeq: outcomes[0]!.seq, lastSeq: outcomes[1]!.seq });
    await store.append([prepare(sessionEvent("s_2", { kind: "warning", phase: "p", message: "late" }, PROJECT_A))], AT);
    expect((await store.session("s_2"))?.status).toBe("done");
    expect(await store.session("nope")).toBeUndefined();
  });

  it("folds one batch's session frames and snapshots: first frame opens, first done/failed ends, latest snapshot per project wins", async (context) => {
    const { store } = await setup(context);
    const finding = { rule: "r", offending_path: "/a" };
    const outcomes = await store.append(
      [
        prepare(sessionEvent("s_a", { kind: "phase", phase: "p", at: AT }, PROJECT_A)),
        prepare(sessionEvent("s_b", { kind: "phase", phase: "p", at: AT })),
        prepare(problemsSnapshot([finding], PROJECT_A)),
        prepare(sessionEvent("s_a", { kind: "failed", phase: "p", error: { code: "E1", message: "boom" } }, PROJECT_A)),
        prepare(sessionEvent("s_a", { kind: "done", result: {} }, PROJECT_A)),
        prepare(problemsSnapshot([], PROJECT_A, "2026-11-20T11:00:00Z")),
      ],
      AT,
    );
    const seqs = outcomes.map((outcome) => outcome.seq);
    expect(await store.session("s_a")).toEqual({ sessionId: "s_a", project: PROJECT_A, status: "failed", firstSeq: seqs[0], lastSeq: seqs[4] });
    expect(await store.session("s_b")).toEqual({ sessionId: "s_b", project: null, status: "open", firstSeq: seqs[1], lastSeq: seqs[1] });
    expect((await store.latestProblems()).find((record) => record.projectKey === PROJECT_A)).toMatchObject({ seq: seqs[5], findingsJson: "[]" });
  });

  it("keeps the latest problems snapshot per project", async (context) => {
    const { store } = await setup(context);
    const finding = { rule: "r", offending_path: "/a" };
    await store.append([prepare(problemsSnapshot([finding], PROJECT_A)), prepare(problemsSnapshot([], null))], AT);
    const [later] = await store.append([prepare(problemsSnapshot([finding, { rule: "r", offending_path: "/b" }], PROJECT_A, "2026-11-20T11:00:00Z"))], AT);
    const latest = await store.latestProblems();
    expect(latest.find((record) => record.projectKey === PROJECT_A)).toEqual({
      projectKey: PROJECT_A,
      seq: later!.seq,
      auditAt: "2026-11-20T11:00:00Z",
      findingsJson: JSON.stringify([finding, { rule: "r", offending_path: "/b" }]),
    });
    expect(latest.find((record) => record.projectKey === "")?.findingsJson).toBe("[]");
  });

  it("stores token digests, lists and revokes them; keeps meta", async (context) => {
    const { store } = await setup(context);
    const token = { id: "tok_1", project: PROJECT_A, scopes: ["read", "write"] as const, tokenHash: "ab".repeat(32), label: null, createdAt: AT, revokedAt: null };
    await store.insertToken({ ...token, scopes: [...token.scopes] });
    expect(await store.listTokens()).toEqual([{ ...token, scopes: ["read", "write"] }]);
    expect(await store.revokeToken("tok_1", AT)).toBe(true);
    expect(await store.revokeToken("tok_1", AT)).toBe(false);
    expect((await store.listTokens())[0]?.revokedAt).toBe(AT);
    expect(await store.getMeta("k")).toBeUndefined();
    await store.setMeta("k", "1");
    await store.setMeta("k", "2");
    expect(await store.getMeta("k")).toBe("2");
  });

  it("prunes all but the newest events", async (context) => {
    const { store } = await setup(context);
    const outcomes = await store.append([1, 2, 3, 4, 5].map(() => prepare(event())), AT);
    expect(await store.prune(2)).toBe(3);
    expect(await store.oldestSeq()).toBe(outcomes[3]!.seq);
    expect((await store.readAfter({ afterSeq: 0, limit: 10 })).map((row) => row.seq)).toEqual([outcomes[3]!.seq, outcomes[4]!.seq]);
    expect(await store.headSeq()).toBe(outcomes[4]!.seq);
  });
});
