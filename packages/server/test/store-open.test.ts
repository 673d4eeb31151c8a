import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { HubError, startHub } from "../src/index.js";
import { connect } from "../src/store/connect.js";
import { freshSchema, POSTGRES_BASE, requirePostgres } from "./helpers/postgres.js";
import { storeConfig } from "./helpers/store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("opening the store", () => {
  it("refuses with a HubError naming the store when the SQLite file cannot be opened, not a raw driver error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-store-open-"));
    dirs.push(dir);
    // The data dir is a file: SQLite cannot create hub.db under it.
    writeFileSync(join(dir, "data"), "not a directory");
    const started = startHub({ host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), socketPath: false, logger: "silent" });
    await expect(started).rejects.toBeInstanceOf(HubError);
    await expect(started).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/^could not open the sqlite store: /) as string });
  });

  it("opens a PostgreSQL store while another client of the database keeps creating and dropping schemas", async (context) => {
    requirePostgres(context);
    // Kysely's migrator reads every schema's tables first; a schema dropped during that read failed the hub's start (3F000).
    let stop = false;
    let churned = 0;
    const other = new pg.Client({ connectionString: POSTGRES_BASE });
    await other.connect();
    const churn = (async () => {
      while (!stop) {
        const name = `events_churn_${process.pid}_${churned++}`;
        await other.query(`create schema ${name}; create table ${name}.t (id serial, a text, b text)`);
        await other.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      for (let opened = 0; opened < 15; opened++) {
        const schema = await freshSchema();
        try {
          const connection = await connect(storeConfig("postgres", schema.url));
          await connection.db.destroy();
        } finally {
          await schema.drop();
        }
      }
    } finally {
      stop = true;
      await churn;
      await other.end();
    }
    expect(churned).toBeGreaterThan(15);
  });
});
