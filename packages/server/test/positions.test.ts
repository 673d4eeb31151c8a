/**
 * Per-stream positions end to end: each project's events are a stream numbered from
 * 1; a subscriber resumes every stream from its own seq, is reset only in the streams
 * that cannot be served, and reads its position back from SSE's `id:`.
 */
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { describe, expect, it, vi } from "vitest";
import { formatPosition, hubFrameCodec, sseResetDataCodec, type Envelope, type HubFrame } from "@events/schema";
import { event, events, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";
import { eventSource, RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";
import { AT, prepare } from "./helpers/store.js";
import { migrationProvider } from "../src/store/migrations.js";

type Message = Extract<HubFrame, { type: "message" }>;

/** Writes into `dataDir` a SQLite store as hubs left it before streams (migration 0002), with `batch` stored in order under protocol-1 seqs 1, 2, 3, ... */
async function protocol1Store(dataDir: string, batch: Envelope[]): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dataDir, "hub.db")) }) });
  try {
    const migrated = await new Migrator({ db, provider: migrationProvider("sqlite") }).migrateTo("0002_seq_counter");
    if (migrated.error !== undefined) throw new Error("migrating to 0002 failed", { cause: migrated.error });
    for (const envelope of batch) {
      const event = prepare(envelope);
      const values = sql.join([event.eventId, event.project, event.channel, event.eventType, event.lamport, event.nodeId, event.json, AT]);
      await sql`insert into events (event_id, project_uuid, channel, event_type, lamport_clock, node_id, envelope, received_at) values (${values})`.execute(db);
    }
  } finally {
    await db.destroy();
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const at = (message: Message) => `${message.stream}:${message.seq}`;

async function publish(hub: TestHub, batch: Envelope[]): Promise<string[]> {
  const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
  const ack = await socket.publish(batch);
  socket.close();
  return ack.results.map((result) => (result.status === "rejected" ? "rejected" : `${result.stream}:${result.seq}`));
}

async function subscribe(hub: TestHub, frame: { since?: string | number; project?: string }, token = hub.admin): Promise<TestSocket> {
  const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
  socket.send({ type: "subscribe", sub: "s", ...frame });
  await socket.next("subscribed");
  return socket;
}

/** `stream:seq` items grouped by stream, each stream's seqs in the order they came (streams need not interleave any one way). */
function perStream(items: readonly string[]): Record<string, number[]> {
  const grouped: Record<string, number[]> = {};
  for (const item of items) {
    const colon = item.lastIndexOf(":");
    (grouped[item.slice(0, colon)] ??= []).push(Number(item.slice(colon + 1)));
  }
  return grouped;
}

async function messages(socket: TestSocket, count: number): Promise<string[]> {
  await socket.next("message", () => socket.of("message").length >= count);
  return socket.of("message").map(at);
}

describe("streams and positions", () => {
  it("numbers each project's stream from 1, over WebSocket and SSE (one-stream ids for a project, full tokens across streams)", async () => {
    const hub = await testHub();
    const all = await subscribe(hub, {});
    const onlyA = await subscribe(hub, {}, await projectToken(hub, PROJECT_A, ["read"]));
    const sseAll = await RawSse.open(`${hub.url}/api/events`, bearer(hub.admin));
    const sseA = await RawSse.open(`${hub.url}/api/events?project=${PROJECT_A}`, bearer(hub.admin));
    await sseAll.waitFor(() => sseAll.named("ready")[0]);
    await sseA.waitFor(() => sseA.named("ready")[0]);
    const acked = await publish(hub, [
      event({ project_uuid: PROJECT_A }),
      event({ project_uuid: PROJECT_B }),
      event({ project_uuid: PROJECT_A }),
      event({ project_uuid: null }),
      event({ project_uuid: PROJECT_B }),
    ]);
    expect(acked).toEqual([`${PROJECT_A}:1`, `${PROJECT_B}:1`, `${PROJECT_A}:2`, "-:1", `${PROJECT_B}:2`]);
    expect(await messages(all, 5)).toEqual(acked);
    expect(await messages(onlyA, 2)).toEqual([`${PROJECT_A}:1`, `${PROJECT_A}:2`]);
    for (const message of all.of("message")) expect(hubFrameCodec.decode(message).ok).toBe(true);
    await sseAll.waitFor(() => sseAll.named("WPAssigned").length === 5);
    expect(sseAll.named("WPAssigned").map((item) => item.id)).toEqual([
      `${PROJECT_A}:1`,
      `${PROJECT_B}:1,${PROJECT_A}:1`,
      `${PROJECT_B}:1,${PROJECT_A}:2`,
      `-:1,${PROJECT_B}:1,${PROJECT_A}:2`,
      `-:1,${PROJECT_B}:2,${PROJECT_A}:2`,
    ]);
    await sseA.waitFor(() => sseA.named("WPAssigned").length === 2);
    expect(sseA.named("WPAssigned").map((item) => item.id)).toEqual([`${PROJECT_A}:1`, `${PROJECT_A}:2`]);
    // A live-only subscription starts at every readable stream's head.
    expect((await subscribe(hub, {})).of("subscribed")[0]).toMatchObject({ position: `-:1,${PROJECT_B}:2,${PROJECT_A}:2` });
    expect((await subscribe(hub, { project: PROJECT_B })).of("subscribed")[0]).toMatchObject({ position: `${PROJECT_B}:2` });
    sseAll.close();
    sseA.close();
  });

  it("resumes a multi-stream token after a disconnect: what both streams got meanwhile, nothing twice, nothing missed", async () => {
    const hub = await testHub();
    await publish(hub, [...events(3, { project_uuid: PROJECT_A }), ...events(2, { project_uuid: PROJECT_B })]);
    const first = await subscribe(hub, { since: "" });
    await messages(first, 5);
    await publish(hub, [event({ project_uuid: PROJECT_B }), event({ project_uuid: PROJECT_A })]);
    await messages(first, 7);
    const position = new Map<string, number>();
    for (const message of first.of("message")) position.set(message.stream, message.seq);
    first.close();
    await first.closed;
    // Meanwhile, in both streams and in a third.
    const meanwhile = await publish(hub, [...events(2, { project_uuid: PROJECT_A }), event({ project_uuid: null }), ...events(3, { project_uuid: PROJECT_B })]);
    const token = formatPosition(position);
    expect(token).toBe(`${PROJECT_B}:3,${PROJECT_A}:4`);
    const again = await subscribe(hub, { since: token });
    expect(again.of("subscribed")[0]).toMatchObject({ position: token });
    const live = await publish(hub, [event({ project_uuid: PROJECT_B }), event({ project_uuid: PROJECT_A })]);
    const resumed = await messages(again, 8);
    for (const stream of [PROJECT_A, PROJECT_B, "-"]) {
      const expected = [...meanwhile, ...live].filter((item) => item.startsWith(`${stream}:`));
      expect(resumed.filter((item) => item.startsWith(`${stream}:`))).toEqual(expected);
    }
    expect(again.of("reset")).toEqual([]);
    await publish(hub, [event({ project_uuid: PROJECT_A })]);
    expect(await messages(again, 9)).toHaveLength(9);
  });

  it("resets only the pruned stream (position_unavailable), resuming the others exactly where asked", async () => {
    const hub = await testHub({ retainEvents: 5 });
    await publish(hub, events(10, { project_uuid: PROJECT_A }));
    await publish(hub, events(3, { project_uuid: PROJECT_B }));
    // The newest 5 in storage order: A 9-10 and B 1-3, so A was pruned through 8 and B not at all.
    expect(await hub.hub.prune()).toBe(8);
    const socket = await subscribe(hub, { since: `${PROJECT_A}:2,${PROJECT_B}:1` });
    const position = `${PROJECT_B}:1,${PROJECT_A}:8`;
    expect(socket.of("subscribed")[0]).toMatchObject({ position });
    const reset = await socket.next("reset");
    expect(hubFrameCodec.decode(reset).ok).toBe(true);
    expect(reset).toMatchObject({ sub: "s", reason: "position_unavailable", streams: [PROJECT_A], position });
    expect(reset.message).toContain(`${PROJECT_A}:8`);
    expect(perStream(await messages(socket, 4))).toEqual({ [PROJECT_A]: [9, 10], [PROJECT_B]: [2, 3] });
    // The reset comes right after subscribed, before any message.
    expect(socket.frames.map((frame) => frame.type).slice(0, 3)).toEqual(["subscribed", "reset", "message"]);
    // A stream the token does not name is read from its start: pruned, so it is reset too.
    const unnamed = await subscribe(hub, { since: `${PROJECT_B}:3` });
    expect(await unnamed.next("reset")).toMatchObject({ reason: "position_unavailable", streams: [PROJECT_A], position: `${PROJECT_B}:3,${PROJECT_A}:8` });
    // Over SSE, the reset's id is where delivery continues.
    const sse = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": `${PROJECT_A}:2,${PROJECT_B}:1` });
    const sseReset = await sse.waitFor(() => sse.named("reset")[0]);
    expect(sseReset.id).toBe(position);
    expect(sseResetDataCodec.decodeJson(sseReset.data)).toMatchObject({ ok: true, value: { reason: "position_unavailable", streams: [PROJECT_A], position } });
    sse.close();
  });

  it("resets a stream whose position is ahead of its head (position_ahead), alone; with a pruned one too, the reason is position_unavailable", async () => {
    const hub = await testHub({ retainEvents: 4 });
    await publish(hub, [...events(3, { project_uuid: PROJECT_A }), ...events(3, { project_uuid: PROJECT_B })]);
    const ahead = await subscribe(hub, { since: `${PROJECT_A}:99,${PROJECT_B}:1` });
    expect(await ahead.next("reset")).toMatchObject({ reason: "position_ahead", streams: [PROJECT_A], position: `${PROJECT_B}:1,${PROJECT_A}:3` });
    expect(await messages(ahead, 2)).toEqual([`${PROJECT_B}:2`, `${PROJECT_B}:3`]);
    await publish(hub, [event({ project_uuid: PROJECT_A })]);
    expect(await messages(ahead, 3)).toEqual([`${PROJECT_B}:2`, `${PROJECT_B}:3`, `${PROJECT_A}:4`]);
    // A stream that has no events at all is ahead at any seq.
    const empty = await subscribe(hub, { since: "-:5" });
    expect(await empty.next("reset")).toMatchObject({ reason: "position_ahead", streams: ["-"] });
    expect(await hub.hub.prune()).toBe(3);
    const both = await subscribe(hub, { since: `${PROJECT_A}:1,${PROJECT_B}:50` });
    const reset = await both.next("reset");
    expect(reset).toMatchObject({ reason: "position_unavailable", streams: [PROJECT_B, PROJECT_A], position: `${PROJECT_B}:3,${PROJECT_A}:3` });
    expect(reset.message).toMatch(/no longer kept/);
    expect(reset.message).toMatch(/ahead/);
  });

  it("writes a reset to the start of everything as id 0 over SSE, so the browser's Last-Event-ID still resumes from the start", async () => {
    const hub = await testHub();
    // Ahead in a stream that has nothing: delivery continues from the start, the empty position.
    const first = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": "-:5" });
    const reset = await first.waitFor(() => first.named("reset")[0]);
    expect(reset.id).toBe("0");
    first.close();
    // What was published while away comes on the reconnect that sends that id back.
    await publish(hub, [event({ project_uuid: PROJECT_A })]);
    const again = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": reset.id! });
    const delivered = await again.waitFor(() => again.events.find((item) => item.id === `${PROJECT_A}:1`));
    expect(delivered.id).toBe(`${PROJECT_A}:1`);
    again.close();
  });

  it("reads a Last-Event-ID of 1,500 streams (about 60 KB, past Node's default 16 KiB of headers) and resumes from it", async () => {
    const hub = await testHub();
    await publish(hub, events(2, { project_uuid: PROJECT_A }));
    const others = Array.from({ length: 1_499 }, (_, index) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`);
    const token = formatPosition(new Map([[PROJECT_A, 1], ...others.map((stream) => [stream, 1] as const)]));
    expect(token.length).toBeGreaterThan(55_000);
    const sse = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": token });
    // The streams this hub never wrote are ahead (reset); project A resumes exactly after seq 1.
    const reset = await sse.waitFor(() => sse.named("reset")[0]);
    expect(sseResetDataCodec.decodeJson(reset.data)).toMatchObject({ ok: true, value: { reason: "position_ahead" } });
    const delivered = await sse.waitFor(() => sse.events.find((item) => item.event !== "reset" && item.event !== "ready"));
    expect(delivered.id).toBe(`${PROJECT_A}:2`);
    sse.close();
  });

  it("answers a protocol-1 seq this store cannot translate with one reset of every stream that says so, then goes live", async () => {
    const hub = await testHub();
    await publish(hub, [event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B })]);
    const socket = await subscribe(hub, { since: 5 });
    const position = `${PROJECT_B}:1,${PROJECT_A}:1`;
    expect(socket.of("subscribed")[0]).toMatchObject({ position });
    const reset = await socket.next("reset");
    expect(reset).toMatchObject({ reason: "position_unavailable", streams: [PROJECT_B, PROJECT_A], position });
    expect(reset.message).toContain("protocol-1 positions from before per-stream positions cannot be resumed");
    await publish(hub, [event({ project_uuid: PROJECT_A })]);
    expect(await messages(socket, 1)).toEqual([`${PROJECT_A}:2`]);
    // Over SSE, a Last-Event-ID of digits is a protocol-1 seq too.
    const sse = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": "5" });
    const sseReset = await sse.waitFor(() => sse.named("reset")[0]);
    expect(sseReset.id).toBe(`${PROJECT_B}:1,${PROJECT_A}:2`);
    sse.close();
  });

  it("translates a protocol-1 seq of a store migrated in place into the position it meant in every stream, and resumes exactly from there", async () => {
    // Protocol-1 seqs 1..6: A1 B1 A2 -1 B2 A3 in their new streams.
    const batch = [
      event({ project_uuid: PROJECT_A }),
      event({ project_uuid: PROJECT_B }),
      event({ project_uuid: PROJECT_A }),
      event({ project_uuid: null }),
      event({ project_uuid: PROJECT_B }),
      event({ project_uuid: PROJECT_A }),
    ];
    const hub = await testHub({ seedDataDir: (dataDir) => protocol1Store(dataDir, batch) });
    // A protocol-1 client that had seen seq 3 had seen A1, B1 and A2.
    const socket = await subscribe(hub, { since: 3 });
    expect(socket.of("subscribed")[0]).toMatchObject({ position: `${PROJECT_B}:1,${PROJECT_A}:2` });
    expect(perStream(await messages(socket, 3))).toEqual({ "-": [1], [PROJECT_B]: [2], [PROJECT_A]: [3] });
    const live = await publish(hub, [event({ project_uuid: PROJECT_B }), event({ project_uuid: null })]);
    expect(live).toEqual([`${PROJECT_B}:3`, "-:2"]);
    expect((await messages(socket, 5)).slice(3)).toEqual(live);
    expect(socket.of("reset")).toEqual([]);
    // Over SSE: Last-Event-ID 5 (what a protocol-1 EventSource last saw) resumes at A:3 and the new ones.
    const sse = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": "5" });
    await sse.waitFor(() => sse.named("WPAssigned").length === 3);
    expect(sse.named("ready")[0]!.data).toBe(JSON.stringify({ position: `-:1,${PROJECT_B}:2,${PROJECT_A}:2`, heartbeat_ms: 15_000 }));
    expect(sse.named("WPAssigned").at(-1)!.id).toBe(`-:2,${PROJECT_B}:3,${PROJECT_A}:3`);
    expect(sse.named("reset")).toEqual([]);
    sse.close();
    // Past the last protocol-1 seq the store handed out: nothing to translate, a reset.
    const past = await subscribe(hub, { since: 7 });
    expect(await past.next("reset")).toMatchObject({ reason: "position_unavailable", position: `-:2,${PROJECT_B}:3,${PROJECT_A}:3` });
  });

  it("takes protocol-1 seq 0 as the start of everything", async () => {
    const hub = await testHub();
    const acked = await publish(hub, [event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B })]);
    const socket = await subscribe(hub, { since: 0 });
    expect(perStream(await messages(socket, 2))).toEqual(perStream(acked));
    expect(socket.of("reset")).toEqual([]);
  });

  it("refuses a token that is not a position: bad_frame with issues when the schema refuses it, bad_request naming since when a stream comes twice", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    socket.send({ type: "subscribe", sub: "x", since: "nope" });
    const malformed = await socket.next("error");
    expect(malformed).toMatchObject({ code: "bad_frame" });
    expect(malformed.issues?.some((issue) => issue.path === "/since")).toBe(true);
    socket.send({ type: "subscribe", sub: "twice", since: `${PROJECT_A}:1,${PROJECT_A}:2` });
    const twice = await socket.next("error", (frame) => frame.sub === "twice");
    expect(hubFrameCodec.decode(twice).ok).toBe(true);
    expect(twice).toMatchObject({ code: "bad_request", issues: [{ path: "/since", received: JSON.stringify(`${PROJECT_A}:1,${PROJECT_A}:2`) }] });
    expect(socket.of("subscribed")).toEqual([]);
    // The connection stays.
    socket.send({ type: "subscribe", sub: "ok", since: "" });
    await socket.next("subscribed");
  });

  it("resumes an EventSource across streams by itself: Last-Event-ID is the full token, nothing twice after the reconnect", async () => {
    const hub = await testHub({ sseMaxLifetimeMs: 300, sseRetryMs: 10 });
    const { source, events: frames } = eventSource(`${hub.url}/api/events`, hub.admin);
    await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "ready")).toHaveLength(1), { timeout: 10_000 });
    const sent = [event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B }), event({ project_uuid: null })];
    await publish(hub, sent);
    await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "end")).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "ready")).toHaveLength(2), { timeout: 10_000 });
    const later = [event({ project_uuid: PROJECT_B }), event({ project_uuid: PROJECT_A })];
    await publish(hub, later);
    await vi.waitFor(() => expect(frames.filter((frame) => frame.event === "WPAssigned")).toHaveLength(5), { timeout: 10_000 });
    source.close();
    const received = frames.filter((frame) => frame.event === "WPAssigned");
    expect(received.map((frame) => (JSON.parse(frame.data) as Envelope).event_id)).toEqual([...sent, ...later].map((item) => item.event_id));
    expect(received.map((frame) => frame.id)).toEqual([
      `${PROJECT_A}:1`,
      `${PROJECT_B}:1,${PROJECT_A}:1`,
      `-:1,${PROJECT_B}:1,${PROJECT_A}:1`,
      `-:1,${PROJECT_B}:2,${PROJECT_A}:1`,
      `-:1,${PROJECT_B}:2,${PROJECT_A}:2`,
    ]);
    // The second stream opened where the first ended (ready carries the position it resumed from).
    const ready = frames.filter((frame) => frame.event === "ready").map((frame) => (JSON.parse(frame.data) as { position: string }).position);
    expect(ready[1]).toBe(`-:1,${PROJECT_B}:1,${PROJECT_A}:1`);
  });
});
