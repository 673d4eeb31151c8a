import type Database from "better-sqlite3";
import type { SqliteDatabase, SqliteDriver, SqliteStatement } from "../src/outbox/sqlite.js";

// The SDK declares the slice of better-sqlite3 it uses (src/outbox/sqlite.ts) so its
// published types need no @types/better-sqlite3; the library must still fit that slice.
declare const driver: typeof Database;
declare const db: Database.Database;
declare const statement: Database.Statement<[string], number>;

export const fits: [SqliteDriver, SqliteDatabase, SqliteStatement<[string], number>] = [driver, db, statement];
