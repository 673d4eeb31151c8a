/**
 * `backupSqliteStore` on a store with streams: the copy holds every event with its
 * stream and seq, reports where it ends as a position, and opens as a hub store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { backupSqliteStore } from "../src/store/sqlite-backup.js";
import { event, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { AT, openStore, prepare, type Cleanups } from "./helpers/store.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a SQLite backup", () => {
  it("copies every stream with its events and reports the copy's position", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-store-backup-"));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const { store } = await openStore("sqlite", cleanups, join(dir, "data", "hub.db"));
    const sent = [PROJECT_A, null, PROJECT_A, PROJECT_B, PROJECT_A].map((project) => prepare(event({ project_uuid: project })));
    await store.append(sent, AT);
    await store.prune(4);

    const result = await backupSqliteStore({ hub: { dataDir: join(dir, "data") }, to: join(dir, "copy.db") });
    expect(result).toMatchObject({ file: join(dir, "copy.db"), events: 4, position: `-:1,${PROJECT_B}:1,${PROJECT_A}:3`, headSeq: 5 });

    const { store: copy } = await openStore("sqlite", cleanups, result.file);
    expect(await copy.streamHeads()).toEqual(await store.streamHeads());
    expect(await copy.prunedThrough()).toEqual(new Map([[PROJECT_A, 1]]));
    expect(await copy.readAfter({ after: new Map(), limit: 10 })).toEqual(await store.readAfter({ after: new Map(), limit: 10 }));
  });
});
