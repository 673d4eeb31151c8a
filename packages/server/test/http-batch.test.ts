import { gzipSync, deflateSync } from "node:zlib";
import { execFile } from "node:child_process";
import { request } from "node:http";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { batchResponseCodec, envelopeCodec, errorResponseCodec, type BatchResponse, type ErrorResponse } from "@events/schema";
import { event, events, padJson, PROJECT_A, sizedEvent } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";

const LIMITS = { max_events_per_batch: 5, max_batch_bytes: 8_192, max_event_bytes: 2_048 };

async function post(hub: TestHub, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${hub.url}/api/v1/events/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.status, json: await response.json() };
}

function expectError(result: { status: number; json: unknown }, status: number, code: string): ErrorResponse {
  expect(result.status).toBe(status);
  const decoded = errorResponseCodec.decode(result.json);
  if (!decoded.ok) throw new Error(`not an ErrorResponse: ${JSON.stringify(result.json)}`);
  expect(decoded.value.error.code).toBe(code);
  return decoded.value;
}

describe("HTTP batch ingest (POST /api/v1/events/batch)", () => {
  it("answers one result per event: accepted, duplicate, rejected", async () => {
    const hub = await testHub();
    const [a, b] = events(2);
    const first = await post(hub, JSON.stringify({ events: [a, b, { nonsense: true }] }));
    expect(first.status).toBe(200);
    const decoded = batchResponseCodec.decode(first.json);
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.issues));
    expect(decoded.value.results.map((result) => result.status)).toEqual(["accepted", "accepted", "rejected"]);
    const again = (await post(hub, JSON.stringify({ events: [b] }))).json as BatchResponse;
    expect(decoded.value.results.slice(0, 2)).toEqual([
      { status: "accepted", event_id: a!.event_id, stream: "-", seq: 1 },
      { status: "accepted", event_id: b!.event_id, stream: "-", seq: 2 },
    ]);
    expect(again.results[0]).toEqual({ status: "duplicate", event_id: b!.event_id, stream: "-", seq: 2 });
    // Elements that are not even objects are rejected one by one too, not the whole batch.
    const odd = (await post(hub, JSON.stringify({ events: [event(), 42, null, "x"] }))).json as BatchResponse;
    expect(odd.results.map((result) => result.status)).toEqual(["accepted", "rejected", "rejected", "rejected"]);
    expect(odd.results.map((result) => (result.status === "rejected" ? result.index : -1))).toEqual([-1, 1, 2, 3]);
    const empty = (await post(hub, JSON.stringify({ events: [] }))).json as BatchResponse;
    expect(empty.results).toEqual([]);
  });

  it("takes spec-kitty's batch request as its Python client sends it: gzip body, Bearer, trailing slash", async () => {
    const hub = await testHub();
    const batch = events(2);
    // spec-kitty's sync/batch.py: POST {server}/api/v1/events/batch/ with a gzip'd {"events": [...]}.
    const script = [
      "import gzip, json, sys, urllib.request",
      "body = gzip.compress(json.dumps({'events': json.loads(sys.argv[3])}).encode('utf-8'))",
      "req = urllib.request.Request(sys.argv[1] + '/api/v1/events/batch/', data=body, method='POST',",
      "    headers={'Authorization': 'Bearer ' + sys.argv[2], 'Content-Type': 'application/json', 'Content-Encoding': 'gzip'})",
      "with urllib.request.urlopen(req, timeout=60) as response:",
      "    print(response.status, response.read().decode())",
    ].join("\n");
    const { stdout } = await promisify(execFile)("python3", ["-c", script, hub.url, hub.admin, JSON.stringify(batch)]);
    const [status, ...body] = stdout.trim().split(" ");
    expect(status).toBe("200");
    const answer = JSON.parse(body.join(" ")) as BatchResponse;
    expect(answer.results.map((result) => [result.status, result.event_id])).toEqual(batch.map((item) => ["accepted", item.event_id]));
  });

  it("accepts gzip and deflate bodies", async () => {
    const hub = await testHub();
    const gzip = await post(hub, gzipSync(JSON.stringify({ events: events(3) })), { "content-encoding": "gzip" });
    expect((gzip.json as BatchResponse).results.map((result) => result.status)).toEqual(["accepted", "accepted", "accepted"]);
    const deflate = await post(hub, deflateSync(JSON.stringify({ events: events(1) })), { "content-encoding": "deflate" });
    expect((deflate.json as BatchResponse).results[0]?.status).toBe("accepted");
    expectError(await post(hub, "{}", { "content-encoding": "br" }), 400, "bad_request");
    expectError(await post(hub, Buffer.from("not gzip"), { "content-encoding": "gzip" }), 400, "bad_request");
  });

  it("takes exactly max_events_per_batch events and refuses one more with 413 and the limits", async () => {
    const hub = await testHub({ limits: LIMITS });
    expect((await post(hub, JSON.stringify({ events: events(5) }))).status).toBe(200);
    const refused = expectError(await post(hub, JSON.stringify({ events: events(6) })), 413, "batch_too_large");
    expect(refused.error.limits?.max_events_per_batch).toBe(5);
  });

  it("takes a body of exactly max_batch_bytes and refuses one byte more, plain or inflated", async () => {
    const hub = await testHub({ limits: LIMITS });
    const body = { events: events(2) };
    expect((await post(hub, padJson(body, 8_192))).status).toBe(200);
    const over = padJson({ events: events(2) }, 8_193);
    expect(expectError(await post(hub, over), 413, "batch_too_large").error.limits?.max_batch_bytes).toBe(8_192);
    expect((await post(hub, gzipSync(padJson({ events: events(2) }, 8_192)), { "content-encoding": "gzip" })).status).toBe(200);
    // A small gzip body that inflates past the limit (a zip bomb) is cut off at the limit.
    const bomb = gzipSync(padJson({ events: [] }, 5_000_000));
    expect(bomb.length).toBeLessThan(8_192);
    expectError(await post(hub, bomb, { "content-encoding": "gzip" }), 413, "batch_too_large");
  });

  it("refuses a declared Content-Length over the limit before reading the body", async () => {
    const hub = await testHub({ limits: LIMITS });
    const { port } = new URL(hub.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/api/v1/events/batch", headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json", "content-length": "100000000" } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("{");
    });
    expect(status).toBe(413);
  });

  it("rejects, per event, one over max_event_bytes and accepts one exactly at it", async () => {
    const hub = await testHub({ limits: LIMITS });
    const atLimit = sizedEvent(2_048);
    const decoded = envelopeCodec.decode(atLimit);
    expect(decoded.ok && Buffer.byteLength(JSON.stringify(decoded.value))).toBe(2_048);
    const result = (await post(hub, JSON.stringify({ events: [atLimit, sizedEvent(2_049)] }))).json as BatchResponse;
    expect(result.results.map((item) => item.status)).toEqual(["accepted", "rejected"]);
    const rejected = result.results[1];
    expect(rejected?.status === "rejected" && rejected.issues[0]?.expected).toContain("max_event_bytes");
  });

  it("answers bad JSON and wrong shapes with 400 and issues", async () => {
    const hub = await testHub();
    const bad = expectError(await post(hub, "{not json"), 400, "bad_request");
    expect(bad.error.issues?.[0]?.expected).toBe("JSON text");
    const shape = expectError(await post(hub, JSON.stringify({ events: "nope" })), 400, "bad_request");
    expect(shape.error.issues?.[0]?.path).toBe("/events");
    expectError(await post(hub, JSON.stringify([event()])), 400, "bad_request");
    expectError(await post(hub, ""), 400, "bad_request");
  });

  it("needs a token with write scope: 401 without, 403 read-only", async () => {
    const hub = await testHub();
    const anonymous = await fetch(`${hub.url}/api/v1/events/batch`, { method: "POST", body: JSON.stringify({ events: [] }) });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ErrorResponse).error.code).toBe("unauthenticated");
    const reader = await projectToken(hub, PROJECT_A, ["read"]);
    expectError(await post(hub, JSON.stringify({ events: [] }), { authorization: `Bearer ${reader}` }), 403, "forbidden");
  });
});
