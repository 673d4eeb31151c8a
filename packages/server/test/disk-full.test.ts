/**
 * The hub's SQLite store on a full volume: a small tmpfs as the data dir, filled with
 * a file and then with events until the kernel says ENOSPC. Ingest answers 507
 * `storage_full` over HTTP and an `error` frame with the publish's `ref` over the
 * WebSocket; what was acked before stays readable (history and resume); once the
 * file is deleted the same hub, on the same connections, stores again. Mounting
 * needs root; without it the tests skip with a message, or fail under CI. Every
 * volume is unmounted after its test, passed or failed.
 */
import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope, ErrorFrame } from "@events/schema";
import { cleanupStack } from "../../../scripts/test-cleanups.js";
import { fill, mountTmpfs, requireMount, unmount } from "../../../scripts/test-volumes.js";
import { describe, expect, it, vi } from "vitest";
import { startHub, type Hub } from "../src/index.js";
import { SqliteCheckpointer } from "../src/store/sqlite-checkpointer.js";
import { storeFailure } from "../src/store/store-errors.js";
import { events } from "./helpers/envelopes.js";
import { TestSocket } from "./helpers/ws-client.js";

const ADMIN = "disk-full-admin-token-0123456789";
const VOLUME_BYTES = 2 * 1024 * 1024;
/** Events per batch while filling: small enough that the last ones still fit often. */
const BATCH = 25;
/** At most this many batches to fill what the filler file left: 2 MiB hold far fewer. */
const MAX_BATCHES = 400;

/** Undone after each test, last first: sockets and the hub close before their volume is unmounted. */
const cleanups = cleanupStack();

/** A hub whose data dir is on a fresh small tmpfs; returns the hub and the volume. */
async function hubOnSmallVolume(): Promise<{ hub: Hub; volume: string }> {
  const volume = mkdtempSync(join(tmpdir(), "events-hub-full-"));
  cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
  mountTmpfs(volume, VOLUME_BYTES);
  cleanups.push(() => unmount(volume));
  const hub = await startHub({ host: "127.0.0.1", port: 0, dataDir: join(volume, "data"), socketPath: false, logger: "silent", adminToken: ADMIN });
  cleanups.push(() => hub.close());
  return { hub, volume };
}

interface Answer {
  status: number;
  body: { results?: { status: string }[]; error?: { code: string; message: string } };
}

async function post(hub: Hub, batch: readonly Envelope[]): Promise<Answer> {
  const response = await fetch(`${hub.url}/api/v1/events/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ events: batch }),
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

/** Every stored event id, oldest first, read backwards page by page through GET /api/v1/events. */
async function history(hub: Hub): Promise<{ ids: string[]; seqs: number[] }> {
  const items: { seq: number; event: { event_id: string } }[] = [];
  let before = "";
  for (;;) {
    const response = await fetch(`${hub.url}/api/v1/events?limit=1000${before}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { events: typeof items; has_more: boolean; next: string };
    items.push(...page.events);
    if (!page.has_more || page.events.length === 0) break;
    before = `&before=${encodeURIComponent(page.next)}`;
  }
  items.reverse();
  return { ids: items.map((item) => item.event.event_id), seqs: items.map((item) => item.seq) };
}

/** What a subscriber resuming from 0 receives, once `expected` events arrived. */
async function resumed(hub: Hub, expected: number): Promise<string[]> {
  const reader = await TestSocket.open(`${hub.url.replace(/^http/, "ws")}/api/v1/ws`, { token: ADMIN });
  cleanups.push(() => reader.close());
  await reader.hello();
  reader.send({ type: "subscribe", sub: "resume", since: 0 });
  await reader.next("message", () => reader.of("message").length >= expected);
  const ids = reader.of("message").map((message) => message.event.event_id);
  reader.close();
  return ids;
}

describe("a hub whose SQLite store is on a full volume (tmpfs)", () => {
  it("answers HTTP ingest 507 storage_full (retryable), loses nothing acked, and stores again once space returns, without a restart", async (context) => {
    requireMount(context);
    const { hub, volume } = await hubOnSmallVolume();
    const acked: string[] = [];
    const first = events(20);
    expect((await post(hub, first)).status).toBe(200);
    acked.push(...first.map((event) => event.event_id));

    // The file takes what is free; the WAL may still have room, so events fill the rest.
    fill(join(volume, "filler"));
    let refused: { batch: Envelope[]; answer: Answer } | undefined;
    for (let i = 0; i < MAX_BATCHES && refused === undefined; i++) {
      const batch = events(BATCH);
      const answer = await post(hub, batch);
      if (answer.status === 200) acked.push(...batch.map((event) => event.event_id));
      else refused = { batch, answer };
    }
    expect(refused?.answer).toEqual({
      status: 507,
      body: { error: { code: "storage_full", message: expect.stringMatching(/full.*nothing of this batch was stored.*retry/) } },
    });
    // Asked again, the same answer: the write queue is not stuck behind the failure.
    expect((await post(hub, refused!.batch)).status).toBe(507);

    // Everything acked is still there, through history and through resume.
    expect((await history(hub)).ids).toEqual(acked);
    expect(await resumed(hub, acked.length)).toEqual(acked);

    rmSync(join(volume, "filler"));
    const retried = await post(hub, refused!.batch);
    expect(retried.status).toBe(200);
    expect(retried.body.results?.map((result) => result.status)).toEqual(refused!.batch.map(() => "accepted"));
    acked.push(...refused!.batch.map((event) => event.event_id));
    const later = events(5);
    expect((await post(hub, later)).status).toBe(200);
    acked.push(...later.map((event) => event.event_id));

    const stored = await history(hub);
    expect(stored.ids).toEqual(acked);
    expect(new Set(stored.seqs).size).toBe(stored.seqs.length);
    expect(stored.seqs).toEqual([...stored.seqs].sort((a, b) => a - b));
    expect(await resumed(hub, acked.length)).toEqual(acked);
  });

  it("answers a WebSocket publish with an error frame (its ref, storage_full, retry), keeps the connection, and acks the same frame once space returns", async (context) => {
    requireMount(context);
    const { hub, volume } = await hubOnSmallVolume();
    const wsUrl = `${hub.url.replace(/^http/, "ws")}/api/v1/ws`;
    const live = await TestSocket.open(wsUrl, { token: ADMIN });
    cleanups.push(() => live.close());
    await live.hello();
    live.send({ type: "subscribe", sub: "live" });
    await live.next("subscribed");
    const publisher = await TestSocket.open(wsUrl, { token: ADMIN });
    cleanups.push(() => publisher.close());
    await publisher.hello();

    const acked: string[] = [];
    const first = events(20);
    await publisher.publish(first, "first");
    acked.push(...first.map((event) => event.event_id));

    fill(join(volume, "filler"));
    let refused: { ref: string; batch: Envelope[]; error: ErrorFrame } | undefined;
    for (let i = 0; i < MAX_BATCHES && refused === undefined; i++) {
      const ref = `fill-${i}`;
      const batch = events(BATCH);
      publisher.send({ type: "publish", ref, events: batch });
      const frame = await answerTo(publisher, ref);
      if (frame.type === "ack") acked.push(...batch.map((event) => event.event_id));
      else refused = { ref, batch, error: frame };
    }
    expect(refused?.error).toEqual({
      type: "error",
      ref: refused?.ref,
      code: "storage_full",
      message: expect.stringMatching(/full.*nothing of this frame was stored.*again later/),
    });

    // The same connection: asked again, answered again (not stuck, not closed).
    publisher.send({ type: "publish", ref: "again", events: refused!.batch });
    expect(await answerTo(publisher, "again")).toMatchObject({ type: "error", code: "storage_full" });
    expect(publisher.closeInfo).toBeUndefined();

    rmSync(join(volume, "filler"));
    const ack = await publisher.publish(refused!.batch, "after");
    expect(ack.results.map((result) => result.status)).toEqual(refused!.batch.map(() => "accepted"));
    acked.push(...refused!.batch.map((event) => event.event_id));

    // The live subscriber saw exactly what was acked, in order: nothing refused leaked out.
    await live.next("message", () => live.of("message").length >= acked.length);
    expect(live.of("message").map((message) => message.event.event_id)).toEqual(acked);
    expect(live.of("gap")).toEqual([]);
    expect((await history(hub)).ids).toEqual(acked);
  });
});

/** The ack or error frame that answers the publish `ref`. */
function answerTo(socket: TestSocket, ref: string): Promise<{ type: "ack" } | ErrorFrame> {
  return vi.waitFor(
    () => {
      for (const frame of socket.frames) {
        if ((frame.type === "ack" || frame.type === "error") && frame.ref === ref) return frame;
      }
      throw new Error(`no answer to ${ref} yet`);
    },
    { timeout: 10_000, interval: 5 },
  );
}

describe("the SQLite checkpoint worker on a full volume", () => {
  it("retries a checkpoint the disk refuses instead of giving up on the worker (no checkpoint on every commit afterwards)", async (context) => {
    requireMount(context);
    const volume = mkdtempSync(join(tmpdir(), "events-checkpoint-full-"));
    cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
    mountTmpfs(volume, VOLUME_BYTES);
    cleanups.push(() => unmount(volume));
    const file = join(volume, "hub.db");
    const writer = new BetterSqlite3(file);
    cleanups.push(() => void writer.close());
    writer.pragma("journal_mode = WAL");
    writer.pragma("wal_autocheckpoint = 0");
    writer.exec("create table t (x blob)");
    // Pages in the WAL that a checkpoint must copy into the (growing) database file.
    const insert = writer.prepare("insert into t (x) values (?)");
    for (let i = 0; i < 64; i++) insert.run(Buffer.alloc(4096, i));
    fill(join(volume, "filler"));
    const failures: unknown[] = [];
    const checkpointErrors: Error[] = [];
    const checkpointer = new SqliteCheckpointer({ file, intervalMs: 20, onFailure: (error) => failures.push(error), onCheckpointError: (error) => checkpointErrors.push(error) });
    cleanups.push(() => checkpointer.stop().catch(() => undefined));
    await vi.waitFor(() => expect(checkpointErrors.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(checkpointErrors[0]!.message).toMatch(/full|SQLITE_FULL/i);
    expect(failures).toEqual([]);
    rmSync(join(volume, "filler"));
    const before = checkpointErrors.length;
    // Once space returns the next checkpoints succeed: the WAL's frames are all checkpointed.
    await vi.waitFor(() => {
      const [result] = writer.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number; checkpointed: number }[];
      expect(result!.checkpointed).toBe(result!.log);
    }, { timeout: 10_000 });
    expect(failures).toEqual([]);
    expect(checkpointErrors.length - before).toBeLessThanOrEqual(2);
  });
});

describe("store failures as clients see them", () => {
  it("maps SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100), ENOSPC and EDQUOT to storage_full, anything else to unavailable", () => {
    const failure = (code: string): Error => Object.assign(new Error(`failed with ${code}`), { code });
    expect(storeFailure(failure("SQLITE_FULL")).code).toBe("storage_full");
    expect(storeFailure(failure("53100")).code).toBe("storage_full");
    expect(storeFailure(failure("ENOSPC")).code).toBe("storage_full");
    expect(storeFailure(failure("EDQUOT")).code).toBe("storage_full");
    expect(storeFailure(new Error("wrapped", { cause: failure("53100") })).code).toBe("storage_full");
    expect(storeFailure(failure("SQLITE_BUSY")).code).toBe("unavailable");
    expect(storeFailure(failure("55P03")).code).toBe("unavailable");
    expect(storeFailure(new Error("no code")).code).toBe("unavailable");
  });
});
