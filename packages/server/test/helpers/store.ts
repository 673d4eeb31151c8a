/**
 * A HubStore on either dialect for the store tests: SQLite in a temp dir, PostgreSQL
 * in a fresh schema of the real server; both removed by the cleanups the caller runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { channelOf, envelopeCodec, streamOf, type Envelope } from "@events/schema";
import type { StoreConfig } from "../../src/options.js";
import { connect } from "../../src/store/connect.js";
import { KyselyStore } from "../../src/store/kysely-store.js";
import type { PreparedEvent } from "../../src/store/records.js";
import { freshSchema } from "./postgres.js";

export type Backend = "sqlite" | "postgres";

/** Functions to run after the test, newest first. */
export type Cleanups = (() => Promise<void>)[];

/** Where a new store of `backend` can live: a SQLite file or a PostgreSQL URL (a fresh schema). */
export async function storePlace(backend: Backend, cleanups: Cleanups): Promise<string> {
  if (backend === "postgres") {
    const schema = await freshSchema();
    cleanups.push(schema.drop);
    return schema.url;
  }
  const dir = mkdtempSync(join(tmpdir(), "events-store-test-"));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  return join(dir, "hub.db");
}

export function storeConfig(backend: Backend, where: string): StoreConfig {
  return backend === "sqlite"
    ? { kind: "sqlite", file: where, synchronous: "normal" }
    : { kind: "postgres", url: where, timeouts: { lockTimeoutMs: 5_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 10_000 } };
}

/** Opens (and migrates) the store at `where`, or at a new place. */
export async function openStore(backend: Backend, cleanups: Cleanups, existing?: string): Promise<{ store: KyselyStore; where: string }> {
  const where = existing ?? (await storePlace(backend, cleanups));
  const store = new KyselyStore(await connect(storeConfig(backend, where)));
  cleanups.push(() => store.close());
  return { store, where };
}

/** An envelope as ingest hands it to the store. */
export function prepare(envelope: Envelope): PreparedEvent {
  const decoded = envelopeCodec.decode(envelope);
  if (!decoded.ok) throw new Error(JSON.stringify(decoded.issues));
  const value = decoded.value;
  return {
    envelope: value,
    json: JSON.stringify(value),
    eventId: value.event_id,
    project: value.project_uuid,
    stream: streamOf(value.project_uuid),
    channel: channelOf(value),
    eventType: value.event_type,
    lamport: value.lamport_clock,
    nodeId: value.node_id,
  };
}

export const AT = "2026-11-20T10:00:00.000Z";
