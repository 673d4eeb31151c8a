/**
 * Opening queue.db: WAL mode with `synchronous = NORMAL` (a committed row survives
 * the process being killed; see the README on power loss), a busy timeout so that
 * concurrent writers wait instead of failing, and the tables. A file that is not a
 * database, or is damaged, is moved aside (with its -wal and -shm) and a new one is
 * started; the caller is told where the old one went. Throws EventsSdkError.
 */
import { mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { EventsSdkError, toSdkError } from "../errors.js";
import { COUNTERS, Counters } from "./counters.js";
import { migrate } from "./migrations.js";
import type { SqliteDatabase, SqliteDriver } from "./sqlite.js";

export interface OpenDatabaseOptions {
  path: string;
  /** SQLite `busy_timeout`, in milliseconds. */
  busyTimeoutMs: number;
  /** SQLite `max_page_count`, when set. */
  maxPages?: number | undefined;
}

export interface OpenedDatabase {
  db: SqliteDatabase;
  /** Where a corrupt queue.db was moved before this one was created. */
  movedAside?: string;
}

const OPEN_ATTEMPTS = 5;
export const WAL_AUTOCHECKPOINT_PAGES = 4_000;
const CACHE_KIB = 2_048;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

interface Driver {
  Database: SqliteDriver;
  /** The compiled addon's path, when it is where better-sqlite3 builds it. */
  nativeBinding: string | undefined;
}

let driver: Driver | undefined;
/**
 * better-sqlite3, required on first open: a host that never emits never loads it.
 * Its addon is passed by path when it is in the usual place, which skips the
 * `bindings` package's search (a stack trace and a dozen stat calls) on every start.
 * The built SDK carries the package's JavaScript wrapper as one file
 * (scripts/bundle-sqlite.ts), named by the version it was built from and used only
 * for that installed version: one read and one compile instead of a dozen files
 * through the module loader.
 */
function sqlite(): Driver {
  if (driver !== undefined) return driver;
  const require = createRequire(import.meta.url);
  let nativeBinding: string | undefined;
  let installed: string | undefined;
  try {
    const manifest = require.resolve("better-sqlite3/package.json");
    const built = join(dirname(manifest), "build", "Release", "better_sqlite3.node");
    if (statSync(built).isFile()) nativeBinding = built;
    installed = (JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown }).version as string | undefined;
  } catch {
    // Let better-sqlite3 find its addon itself.
  }
  const bundled = nativeBinding === undefined ? undefined : bundledWrapper(require, installed);
  driver = { Database: bundled ?? (require("better-sqlite3") as SqliteDriver), nativeBinding };
  return driver;
}

/** The bundled wrapper of the installed version, when it sits next to this module. */
function bundledWrapper(require: NodeJS.Require, installed: string | undefined): SqliteDriver | undefined {
  if (installed === undefined || !/^[\w.+-]+$/.test(installed)) return undefined;
  try {
    return require(`./better-sqlite3-${installed}.cjs`) as SqliteDriver;
  } catch {
    // Running from source, or built against another version.
    return undefined;
  }
}

function openOnce(options: OpenDatabaseOptions): SqliteDatabase {
  const { Database: Driver, nativeBinding } = sqlite();
  const db = new Driver(options.path, { timeout: options.busyTimeoutMs, ...(nativeBinding === undefined ? {} : { nativeBinding }) });
  try {
    const mode = db.pragma("journal_mode = WAL", { simple: true }) as string;
    if (mode.toLowerCase() !== "wal") {
      throw new EventsSdkError("storage_unavailable", `queue.db cannot use WAL mode (it is in ${mode} mode)`);
    }
    db.pragma("synchronous = NORMAL");
    // Checkpoint every ~16 MiB of WAL instead of SQLite's 4 MiB: a quarter of the
    // checkpoints, so they stay out of the 99th percentile of emit latency.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // Writes touch only the newest pages; SQLite's 2 MiB default cache (this build sets 16) is plenty.
    db.pragma(`cache_size = -${CACHE_KIB}`);
    if (options.maxPages !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPages)}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens, retrying briefly while another process holds the lock it needs to set WAL mode or create the tables. */
function openWithRetry(options: OpenDatabaseOptions): SqliteDatabase {
  for (let attempt = 1; ; attempt++) {
    try {
      return openOnce(options);
    } catch (error) {
      const failure = toSdkError(error);
      if (failure.code !== "storage_busy" || attempt >= OPEN_ATTEMPTS) throw failure;
      pause(10 * attempt);
    }
  }
}

/**
 * Moves a corrupt file aside, unless another process already did (the file at the
 * path is no longer the one that failed). Returns the new name, or undefined.
 */
function moveAside(path: string, inode: number | undefined): string | undefined {
  if (inode === undefined || inodeOf(path) !== inode) return undefined;
  const aside = `${path}.corrupt-${Date.now()}-${process.pid}`;
  renameSync(path, aside);
  for (const suffix of ["-wal", "-shm"]) {
    try {
      renameSync(path + suffix, aside + suffix);
    } catch {
      // Absent, or already gone: nothing to keep.
    }
  }
  return aside;
}

export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  try {
    mkdirSync(dirname(options.path), { recursive: true });
  } catch (error) {
    throw toSdkError(error);
  }
  const inode = inodeOf(options.path);
  try {
    return { db: openWithRetry(options) };
  } catch (error) {
    const failure = toSdkError(error);
    if (failure.code !== "storage_corrupt") throw failure;
    let movedAside: string | undefined;
    try {
      movedAside = moveAside(options.path, inode);
    } catch (moveError) {
      throw new EventsSdkError("storage_corrupt", `${options.path} is corrupt and cannot be moved aside (${toSdkError(moveError).message})`, {
        cause: failure,
      });
    }
    const db = openWithRetry(options);
    if (movedAside !== undefined) {
      new Counters(db).add(COUNTERS.corruptRecovered);
      return { db, movedAside };
    }
    return { db };
  }
}
