/**
 * The store's contract, run unchanged against SQLite and PostgreSQL (the real
 * server; a fresh schema per test).
 */
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { event, machineEvent, PROJECT_A, PROJECT_B, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { requirePostgres } from "./helpers/postgres.js";
import { AT, openStore, prepare, type Backend, type Cleanups } from "./helpers/store.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const open = (backend: Backend, existing?: string) => openStore(backend, cleanups, existing);
/** As `after`: from the start of every stream; as `before`: no bound. */
const ALL = new Map<string, number>();
const NO_PROJECT = "-";

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
    expect(await again.store.streamHeads()).toEqual(new Map([[NO_PROJECT, 1]]));
  });

  it("numbers each stream from 1 without holes, across batches with several streams", async (context) => {
    const { store } = await setup(context);
    const first = await store.append([prepare(event({ project_uuid: PROJECT_A })), prepare(event()), prepare(event({ project_uuid: PROJECT_A }))], AT);
    const second = await store.append([prepare(event({ project_uuid: PROJECT_B })), prepare(event({ project_uuid: PROJECT_A })), prepare(event())], AT);
    expect([...first, ...second]).toEqual([
      { stream: PROJECT_A, seq: 1, inserted: true },
      { stream: NO_PROJECT, seq: 1, inserted: true },
      { stream: PROJECT_A, seq: 2, inserted: true },
      { stream: PROJECT_B, seq: 1, inserted: true },
      { stream: PROJECT_A, seq: 3, inserted: true },
      { stream: NO_PROJECT, seq: 2, inserted: true },
    ]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 3], [NO_PROJECT, 2], [PROJECT_B, 1]]));
    expect(await store.streamHeads({ project: PROJECT_B })).toEqual(new Map([[PROJECT_B, 1]]));
    expect(await store.streamHeads({ project: "9d3f0000-0000-4000-8000-000000000000" })).toEqual(new Map());
  });

  it("dedups on event_id across and within batches, answering the stored stream and seq", async (context) => {
    const { store } = await setup(context);
    const [a, b, c] = [prepare(event({ project_uuid: PROJECT_A })), prepare(event()), prepare(event({ project_uuid: PROJECT_A }))];
    expect(await store.append([a, b], AT)).toEqual([
      { stream: PROJECT_A, seq: 1, inserted: true },
      { stream: NO_PROJECT, seq: 1, inserted: true },
    ]);
    // The same id sent again under another project is still the stored event.
    expect(await store.append([b, c, c, a, { ...a, project: PROJECT_B, stream: PROJECT_B }], AT)).toEqual([
      { stream: NO_PROJECT, seq: 1, inserted: false },
      { stream: PROJECT_A, seq: 2, inserted: true },
      { stream: PROJECT_A, seq: 2, inserted: false },
      { stream: PROJECT_A, seq: 1, inserted: false },
      { stream: PROJECT_A, seq: 1, inserted: false },
    ]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 2], [NO_PROJECT, 1]]));
    expect(await store.maxLamport()).toBe(Math.max(a.lamport, b.lamport, c.lamport));
  });

  it("stores the envelope text as given and reads it back by position, channel and project", async (context) => {
    const { store } = await setup(context);
    const inA = prepare(event({ project_uuid: PROJECT_A }));
    const inB = prepare(event({ project_uuid: PROJECT_B }));
    const session = prepare(sessionEvent("s_1", { kind: "phase", phase: "p", at: AT }, PROJECT_A));
    const machine = prepare(machineEvent("worker-1"));
    const outcomes = await store.append([inA, inB, session, machine], AT);
    const all = await store.readAfter({ after: ALL, limit: 10 });
    // Stream by stream (in stream order), each in seq order.
    const expected = [machine, inB, inA, session];
    expect(all.map((row) => row.eventId)).toEqual(expected.map((prepared) => prepared.eventId));
    expect(all.map((row) => [row.stream, row.seq])).toEqual([[NO_PROJECT, 1], [PROJECT_B, 1], [PROJECT_A, 1], [PROJECT_A, 2]]);
    expect(all[2]).toMatchObject({ json: inA.json, project: PROJECT_A, channel: "events", eventType: inA.eventType, lamport: inA.lamport });
    expect(outcomes.map((outcome) => [outcome.stream, outcome.seq])).toEqual([[PROJECT_A, 1], [PROJECT_B, 1], [PROJECT_A, 2], [NO_PROJECT, 1]]);
    expect((await store.readAfter({ after: new Map([[PROJECT_A, 1]]), limit: 10 })).map((row) => row.eventId)).toEqual([machine, inB, session].map((prepared) => prepared.eventId));
    expect((await store.readAfter({ after: new Map([[PROJECT_A, 2], [PROJECT_B, 1], [NO_PROJECT, 1]]), limit: 10 })).length).toBe(0);
    expect((await store.readAfter({ after: ALL, limit: 2 })).length).toBe(2);
    expect((await store.readAfter({ after: ALL, limit: 10, project: PROJECT_A })).map((row) => row.eventId)).toEqual([inA.eventId, session.eventId]);
    expect((await store.readAfter({ after: ALL, limit: 10, channel: "session:*" })).map((row) => row.channel)).toEqual(["session:s_1"]);
    expect((await store.readAfter({ after: ALL, limit: 10, channel: "machine:worker-1" })).length).toBe(1);
    expect((await store.readAfter({ after: ALL, limit: 10, channel: "events", project: PROJECT_B })).map((row) => row.eventId)).toEqual([inB.eventId]);
    // Backwards: newest first in storage order, each named stream below its entry.
    expect((await store.readBefore({ before: ALL, limit: 10 })).map((row) => row.eventId)).toEqual([machine, session, inB, inA].map((prepared) => prepared.eventId));
    expect((await store.readBefore({ before: new Map([[PROJECT_A, 2], [NO_PROJECT, 1]]), limit: 10 })).map((row) => row.eventId)).toEqual([inB, inA].map((prepared) => prepared.eventId));
    expect((await store.readBefore({ before: ALL, limit: 1, project: PROJECT_A })).map((row) => row.eventId)).toEqual([session.eventId]);
  });

  it("matches a prefix:* channel exactly, forwards and backwards, whatever sorts next to it", async (context) => {
    const { store } = await setup(context);
    const channels = ["session:a", "sessions", "session;b", "session", "session:", "machine:session:c"];
    const stored = channels.map((channel) => ({ ...prepare(event()), channel }));
    await store.append(stored, AT);
    const forwards = await store.readAfter({ after: ALL, limit: 10, channel: "session:*" });
    const backwards = await store.readBefore({ before: ALL, limit: 10, channel: "session:*" });
    expect(forwards.map((row) => row.channel)).toEqual(["session:a", "session:"]);
    expect(backwards.map((row) => row.channel)).toEqual(["session:", "session:a"]);
    expect(backwards[0]!.lamport).toBe(stored[4]!.lamport);
  });

  it("pages forwards and backwards across streams without a gap or a duplicate in any stream", async (context) => {
    const { store } = await setup(context);
    const projects = [PROJECT_A, null, PROJECT_B];
    const sent = Array.from({ length: 23 }, (_, index) => prepare(event({ project_uuid: projects[(index * index) % 3] })));
    for (let start = 0; start < sent.length; start += 4) await store.append(sent.slice(start, start + 4), AT);

    const forwards: string[] = [];
    let position = new Map<string, number>();
    for (let page = 0; page < 20; page++) {
      const rows = await store.readAfter({ after: position, limit: 5 });
      if (rows.length === 0) break;
      for (const row of rows) {
        expect(row.seq).toBe((position.get(row.stream) ?? 0) + 1);
        position = new Map(position).set(row.stream, row.seq);
        forwards.push(row.eventId);
      }
    }
    expect(forwards.sort()).toEqual(sent.map((prepared) => prepared.eventId).sort());

    const backwards: string[] = [];
    let bound = new Map<string, number>();
    for (let page = 0; page < 20; page++) {
      const rows = await store.readBefore({ before: bound, limit: 5 });
      if (rows.length === 0) break;
      for (const row of rows) {
        expect(row.seq).toBe((bound.get(row.stream) ?? (await store.streamHeads()).get(row.stream)! + 1) - 1);
        bound = new Map(bound).set(row.stream, row.seq);
        backwards.push(row.eventId);
      }
    }
    // Newest first in storage order: the order they were sent, reversed.
    expect(backwards).toEqual(sent.map((prepared) => prepared.eventId).reverse());
  });

  it("keeps machine events in statemachine columns under their storage row id, pending until processed", async (context) => {
    const { store } = await setup(context);
    await store.append([prepare(event({ project_uuid: PROJECT_A })), prepare(event({ project_uuid: PROJECT_A }))], AT);
    const outcomes = await store.append([prepare(machineEvent("face-processor", "new_job", { image: "a.png" })), prepare(machineEvent("face-processor"))], AT);
    expect(outcomes).toEqual([
      { stream: NO_PROJECT, seq: 1, inserted: true },
      { stream: NO_PROJECT, seq: 2, inserted: true },
    ]);
    const [first, second] = await store.machineEvents({ target: "face-processor", status: "pending", limit: 10 });
    expect(first).toEqual({
      seq: expect.any(Number) as number,
      source: "cli",
      target: "face-processor",
      type: "new_job",
      jobId: null,
      payloadJson: JSON.stringify({ image: "a.png" }),
      status: "pending",
      createdAt: AT,
      processedAt: null,
    });
    // The third and fourth rows stored: their ids are not their seqs in their stream.
    expect([first!.seq, second!.seq]).toEqual([first!.seq, first!.seq + 1]);
    expect(first!.seq).toBeGreaterThan(2);
    // Delivery names an event by its place in its stream; a listing by the record's id.
    expect(await store.markMachineProcessed({ stream: NO_PROJECT, seq: 1 }, "2026-11-20T10:00:01.000Z")).toBe(true);
    expect(await store.markMachineProcessed({ stream: NO_PROJECT, seq: 1 }, "2026-11-20T10:00:02.000Z")).toBe(false);
    expect(await store.markMachineProcessed({ stream: PROJECT_A, seq: 2 }, "2026-11-20T10:00:02.000Z")).toBe(false);
    expect((await store.machineEvents({ status: "pending", limit: 10 })).map((row) => row.seq)).toEqual([second!.seq]);
    expect(await store.markMachineProcessed(second!.seq, "2026-11-20T10:00:03.000Z")).toBe(true);
    expect(await store.machineEvents({ status: "pending", limit: 10 })).toEqual([]);
    expect((await store.machineEvents({ status: "processed", limit: 10 })).map((row) => row.processedAt)).toEqual(["2026-11-20T10:00:01.000Z", "2026-11-20T10:00:03.000Z"]);
  });

  it("tracks sessions in their stream's seqs: open with the first frame, ended once by done or failed", async (context) => {
    const { store } = await setup(context);
    await store.append([prepare(event())], AT);
    const outcomes = await store.append(
      [
        prepare(sessionEvent("s_2", { kind: "phase", phase: "p", at: AT }, PROJECT_A)),
        prepare(sessionEvent("s_2", { kind: "done", result: {} }, PROJECT_A)),
      ],
      AT,
    );
    expect(outcomes.map((outcome) => outcome.seq)).toEqual([1, 2]);
    expect(await store.session("s_2")).toEqual({ sessionId: "s_2", project: PROJECT_A, status: "done", firstSeq: 1, lastSeq: 2 });
    await store.append([prepare(sessionEvent("s_2", { kind: "warning", phase: "p", message: "late" }, PROJECT_A))], AT);
    expect(await store.session("s_2")).toMatchObject({ status: "done", lastSeq: 3 });
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
    expect(seqs).toEqual([1, 1, 2, 3, 4, 5]);
    expect(await store.session("s_a")).toEqual({ sessionId: "s_a", project: PROJECT_A, status: "failed", firstSeq: 1, lastSeq: 4 });
    expect(await store.session("s_b")).toEqual({ sessionId: "s_b", project: null, status: "open", firstSeq: 1, lastSeq: 1 });
    expect((await store.latestProblems()).find((record) => record.projectKey === PROJECT_A)).toMatchObject({ seq: 5, findingsJson: "[]" });
  });

  it("keeps the latest problems snapshot per project, under its seq in the project's stream", async (context) => {
    const { store } = await setup(context);
    const finding = { rule: "r", offending_path: "/a" };
    await store.append([prepare(problemsSnapshot([finding], PROJECT_A)), prepare(problemsSnapshot([], null))], AT);
    await store.append([prepare(event({ project_uuid: PROJECT_B }))], AT);
    const [later] = await store.append([prepare(problemsSnapshot([finding, { rule: "r", offending_path: "/b" }], PROJECT_A, "2026-11-20T11:00:00Z"))], AT);
    expect(later).toEqual({ stream: PROJECT_A, seq: 2, inserted: true });
    const latest = await store.latestProblems();
    expect(latest.find((record) => record.projectKey === PROJECT_A)).toEqual({
      projectKey: PROJECT_A,
      seq: 2,
      auditAt: "2026-11-20T11:00:00Z",
      findingsJson: JSON.stringify([finding, { rule: "r", offending_path: "/b" }]),
    });
    expect(latest.find((record) => record.projectKey === "")).toMatchObject({ seq: 1, findingsJson: "[]" });
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

  it("prunes all but the newest events in storage order and raises each stream's watermark", async (context) => {
    const { store } = await setup(context);
    const projects = [PROJECT_A, PROJECT_A, null, PROJECT_B, PROJECT_A, null, PROJECT_A];
    const sent = projects.map((project) => prepare(project === null ? machineEvent("w") : event({ project_uuid: project })));
    await store.append(sent, AT);
    expect(await store.prunedThrough()).toEqual(new Map());
    expect(await store.prune(3)).toBe(4);
    // Gone: A1, A2, -1, B1. Kept: A3, -2, A4.
    expect(await store.prunedThrough()).toEqual(new Map([[PROJECT_A, 2], [NO_PROJECT, 1], [PROJECT_B, 1]]));
    expect((await store.readAfter({ after: ALL, limit: 10 })).map((row) => [row.stream, row.seq])).toEqual([[NO_PROJECT, 2], [PROJECT_A, 3], [PROJECT_A, 4]]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 4], [NO_PROJECT, 2], [PROJECT_B, 1]]));
    expect((await store.machineEvents({ limit: 10 })).length).toBe(1);
    expect(await store.prune(3)).toBe(0);
    expect(await store.prune(1)).toBe(2);
    expect(await store.prunedThrough()).toEqual(new Map([[PROJECT_A, 3], [NO_PROJECT, 2], [PROJECT_B, 1]]));
    // Appends go on after the watermark.
    expect(await store.append([prepare(event({ project_uuid: PROJECT_B }))], AT)).toEqual([{ stream: PROJECT_B, seq: 2, inserted: true }]);
  });

  it("translates no protocol-1 position but 0 on a store created with streams", async (context) => {
    const { store } = await setup(context);
    await store.append([prepare(event())], AT);
    expect(await store.legacyPosition(0)).toEqual(new Map());
    expect(await store.legacyPosition(1)).toBeUndefined();
  });
});

describe("store on sqlite: the append's own statements", () => {
  it("rolls a batch back whole when a side-table write fails inside it: no event, no seq spent, and the next append goes on", async () => {
    const { store, where } = await open("sqlite");
    await store.append([prepare(event({ project_uuid: PROJECT_A }))], AT);
    // The session row is written through kysely, in the transaction the append's own statements opened.
    const other = new BetterSqlite3(where);
    other.exec("create trigger refuse_sessions before insert on sessions begin select raise(abort, 'sessions refused'); end");
    const batch = [prepare(event({ project_uuid: PROJECT_A })), prepare(sessionEvent("s_x", { kind: "phase", phase: "p", at: AT }, PROJECT_A))];
    await expect(store.append(batch, AT)).rejects.toThrow(/sessions refused/);
    expect((await store.readAfter({ after: ALL, limit: 10 })).map((row) => [row.stream, row.seq])).toEqual([[PROJECT_A, 1]]);
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 1]]));
    other.exec("drop trigger refuse_sessions");
    other.close();
    expect(await store.append(batch, AT)).toEqual([
      { stream: PROJECT_A, seq: 2, inserted: true },
      { stream: PROJECT_A, seq: 3, inserted: true },
    ]);
    expect(await store.session("s_x")).toMatchObject({ status: "open", firstSeq: 3 });
  });

  it("shares its connection with kysely's transactions: appends that wait inside their own transaction, next to prunes, land whole", async () => {
    const { store } = await open("sqlite");
    await store.append(Array.from({ length: 50 }, () => prepare(event({ project_uuid: PROJECT_A }))), AT);
    // A session frame makes an append wait for kysely inside the transaction it opened;
    // a prune opens a kysely transaction of its own on the same connection meanwhile.
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 10; round++) {
      work.push(store.append([prepare(event({ project_uuid: PROJECT_A })), prepare(sessionEvent(`s_${round}`, { kind: "phase", phase: "p", at: AT }, PROJECT_A))], AT));
      work.push(store.prune(40));
    }
    const results = await Promise.all(work);
    const seqs = results.filter((result): result is { stream: string; seq: number }[] => Array.isArray(result)).flat().map((outcome) => outcome.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, index) => 51 + index));
    expect(await store.streamHeads()).toEqual(new Map([[PROJECT_A, 70]]));
    expect(await store.session("s_9")).toMatchObject({ firstSeq: 70 });
  });
});
