import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HubError, startHub } from "../src/index.js";

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
});
