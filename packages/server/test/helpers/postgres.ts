/**
 * The real PostgreSQL for store tests (Kysely's rule: no mocks). Each hub gets a
 * fresh schema, dropped afterwards, so concurrent runs never collide. When the
 * server is unreachable the tests skip with a message, or fail when CI is set.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_BASE = process.env["EVENTS_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why PostgreSQL cannot be used, or undefined when it can. Checked once per test file. */
export const postgresMissing: string | undefined = await probe();

/** Skips the test with a message naming the service, or fails it on CI. */
export function requirePostgres(context: { skip: (note?: string) => void }): void {
  if (postgresMissing === undefined) return;
  const note = `PostgreSQL at ${POSTGRES_BASE} is unreachable (${postgresMissing})`;
  if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${note}; CI requires it`);
  process.stderr.write(`skipped: ${note}\n`);
  context.skip(note);
}

/** A fresh schema and a URL whose connections use it; `drop()` removes it. */
export async function freshSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `events_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_BASE });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${POSTGRES_BASE}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_BASE });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}
