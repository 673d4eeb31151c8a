/**
 * The slice of better-sqlite3 the outbox and the clock use, declared here as Kysely
 * declares its drivers: the SDK's published types name these shapes, never the
 * library's, so a consumer type-checking them (`skipLibCheck: false`) needs nothing
 * beyond our dependencies (`@types/better-sqlite3` is only ours, for tests).
 * better-sqlite3's `Database` satisfies them (test/sqlite-shape.test-d.ts).
 */

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement; positional parameters as a tuple, named ones as one object. */
export interface SqliteStatement<Params extends unknown[] = unknown[], Row = unknown> {
  run(...params: Params): SqliteRunResult;
  get(...params: Params): Row | undefined;
  all(...params: Params): Row[];
  /** Rows as their first column's value: give `Row` as that column's type. */
  pluck(toggle?: boolean): this;
}

type Arguments<F> = F extends (...args: infer A) => unknown ? A : never;

/** `fn` wrapped in a transaction; `immediate` takes the write lock at `BEGIN`. */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...params: Arguments<F>): ReturnType<F>;
  deferred(...params: Arguments<F>): ReturnType<F>;
  immediate(...params: Arguments<F>): ReturnType<F>;
  exclusive(...params: Arguments<F>): ReturnType<F>;
}

export interface SqliteDatabase {
  readonly open: boolean;
  // Named parameters are any non-nullish value, as better-sqlite3 has it (`{}`).
  prepare<Params extends unknown[] | NonNullable<unknown> = unknown[], Row = unknown>(
    source: string,
  ): Params extends unknown[] ? SqliteStatement<Params, Row> : SqliteStatement<[Params], Row>;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): unknown;
  close(): unknown;
}

/** better-sqlite3's `Database` constructor, as the SDK calls it. */
export type SqliteDriver = new (filename: string, options: { timeout: number; nativeBinding?: string }) => SqliteDatabase;
