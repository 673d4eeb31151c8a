/** The HTTP batch body's encoding at its threshold: gzip from `gzipMinBytes` up, as it is below. */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sendable } from "../src/sync/batches.js";
import { GZIP_MIN_BYTES, HttpTransport } from "../src/sync/http-transport.js";

let server: Server;
let url = "";
const seen: { encoding: string | undefined; bytes: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      seen.push({ encoding: req.headers["content-encoding"], bytes });
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unavailable", message: "only counting" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One event whose JSON makes the whole body `{"events":[...]}` exactly `bodyBytes` long. */
function bodyOf(bodyBytes: number): Sendable[] {
  const json = `"${"x".repeat(bodyBytes - '{"events":[]}'.length - 2)}"`;
  return [{ id: "e", event: {} as Sendable["event"], json, bytes: json.length }];
}

describe("HTTP batch bodies", () => {
  it(`go as they are below ${GZIP_MIN_BYTES} bytes and gzip-compressed from there`, async () => {
    const transport = new HttpTransport({ serverUrl: url, token: "t" });
    for (const size of [GZIP_MIN_BYTES - 1, GZIP_MIN_BYTES]) await transport.publish(bodyOf(size)).catch(() => undefined);
    expect(seen[0]).toEqual({ encoding: undefined, bytes: GZIP_MIN_BYTES - 1 });
    expect(seen[1]?.encoding).toBe("gzip");
    expect(seen[1]?.bytes).toBeLessThan(200);
  });

  it("take their threshold as an option", async () => {
    seen.length = 0;
    const transport = new HttpTransport({ serverUrl: url, token: "t", gzipMinBytes: 100 });
    await transport.publish(bodyOf(100)).catch(() => undefined);
    expect(seen[0]?.encoding).toBe("gzip");
  });
});
