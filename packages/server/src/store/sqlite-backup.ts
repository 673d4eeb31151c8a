/**
 * An online backup of a hub's SQLite store, taken from another process while the hub
 * runs (`events hub backup FILE`). SQLite's backup API copies every page in one step,
 * inside one read transaction: with WAL the hub keeps writing meanwhile, and the copy
 * is the store as of one commit, so it holds every event committed (and so acked)
 * before the backup began. The copy is checked (`quick_check`), made a single file
 * (no WAL), given mode 0600 (it holds token digests and the ticket secret) and only
 * then renamed to its name: a failed backup never leaves a half-written FILE.
 */
import { existsSync, rmSync, statSync, writeFileSync, renameSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { formatPosition } from "@events/schema";
import { HubError } from "../errors.js";
import { resolveOptions, type HubOptions } from "../options.js";

export interface BackupOptions {
  /** The hub's options, as it runs (its `dataDir`, or a `databaseUrl` to be refused). */
  readonly hub: HubOptions;
  /** Where the copy goes. */
  readonly to: string;
  /** Replace `to` if it exists. @default false */
  readonly overwrite?: boolean;
}

export interface BackupResult {
  /** The store that was copied. */
  readonly source: string;
  /** The copy, an absolute path. */
  readonly file: string;
  /** Events in the copy. */
  readonly events: number;
  /** Where the copy ends: each stream's newest seq, as a position token (`""` when empty). */
  readonly position: string;
  /** The newest storage row id in the copy (0 when empty): not a position since streams; `position` is. */
  readonly headSeq: number;
  readonly bytes: number;
}

/** SQLite copies this many pages per step at most: all of them, in one read transaction. */
const ALL_PAGES = 0x7fff_ffff;

export async function backupSqliteStore(options: BackupOptions): Promise<BackupResult> {
  const store = resolveOptions({ ...options.hub, logger: "silent" }).store;
  if (store.kind === "postgres") {
    throw new HubError("config", "the hub stores in PostgreSQL (databaseUrl): back it up with pg_dump, not with a SQLite backup");
  }
  const file = resolve(options.to);
  if (!existsSync(store.file)) throw new HubError("not_found", `no hub store at ${store.file}`);
  if (existsSync(file) && options.overwrite !== true) throw new HubError("bad_request", `${file} exists; choose another name or overwrite it`);
  if (!existsSync(dirname(file))) throw new HubError("not_found", `the directory ${dirname(file)} does not exist`);
  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  // Created first with mode 0600, so the copy is never readable by others, even while written.
  writeFileSync(partial, "", { mode: 0o600 });
  try {
    // Not read-only: a read-only connection to a stopped hub's store leaves -wal and -shm
    // files behind (owned by whoever ran the backup); this one removes them as it closes.
    const source = new BetterSqlite3(store.file, { fileMustExist: true });
    try {
      source.pragma("busy_timeout = 5000");
      // The first step only measures; the second copies every page at once. Smaller steps
      // would start over after each of the hub's commits and might never finish.
      await source.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      source.close();
    }
    const counts = check(partial);
    renameSync(partial, file);
    return { source: store.file, file, ...counts, bytes: statSync(file).size };
  } catch (error) {
    for (const leftover of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) rmSync(leftover, { force: true });
    throw HubError.from(error, "internal");
  }
}

/** Checks the copy, turns it into one self-contained file, and counts its events. */
function check(file: string): { events: number; position: string; headSeq: number } {
  const copy = new BetterSqlite3(file, { fileMustExist: true });
  try {
    const verdict = copy.pragma("quick_check", { simple: true });
    if (verdict !== "ok") throw new HubError("internal", `the copy failed its check: ${String(verdict)}`);
    copy.pragma("journal_mode = DELETE");
    const row = copy.prepare("select count(*) as events, coalesce(max(seq), 0) as head from events").get() as { events: number; head: number };
    const heads = copy.prepare("select stream, head from streams").all() as { stream: string; head: number }[];
    return { events: row.events, position: formatPosition(new Map(heads.map(({ stream, head }) => [stream, head]))), headSeq: row.head };
  } finally {
    copy.close();
  }
}
