/**
 * The hub's answers carry what was received: every issue's `received` is the value the
 * request held at the issue's `path` (JSON text cut at RECEIVED_MAX_CHARS), never Ajv's
 * params, on each way in: Fastify-validated bodies and params (tokens), the batch
 * endpoint, WebSocket frames and the events inside them, and SSE positions. Invalid
 * requests are mutations of valid ones; the oracle is @events/schema's test oracle.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { batchResponseCodec, clientFrameCodec, errorResponseCodec, parsePosition, type ErrorResponse, type HubFrame, type Issue } from "@events/schema";
import { event, machineEvent, PROJECT_A, PROJECT_B, sessionEvent, sizedEvent } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";
import { expectIssueHonest, expectReceivedIs, mutate, mutation } from "../../schema/test/received-oracle.js";

/** Sent as JSON, so compared with what JSON carried (an own `__proto__` stays a property). */
const asSent = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

async function send(hub: TestHub, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${hub.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${hub.admin}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

function errorOf(json: unknown): ErrorResponse["error"] {
  const decoded = errorResponseCodec.decode(json);
  if (!decoded.ok) throw new Error(`not an ErrorResponse: ${JSON.stringify(json)}`);
  return decoded.value.error;
}

function issuesOf(json: unknown): readonly Issue[] {
  const issues = errorOf(json).issues ?? [];
  expect(issues.length).toBeGreaterThan(0);
  return issues;
}

const RUNS = { numRuns: 40, seed: 14 } as const;
const PHASE = { kind: "phase", phase: "rendering_template", at: "2026-11-20T10:15:30Z" };

describe("hub HTTP: validated requests (tokens)", () => {
  it("answers `events token create --project not-a-uuid` with the project it got", async () => {
    const hub = await testHub();
    const answer = await send(hub, "/api/v1/tokens", { method: "POST", body: JSON.stringify({ project: "not-a-uuid", scopes: ["read"] }) });
    expect(answer.status).toBe(400);
    expect(issuesOf(answer.json)).toEqual([expect.objectContaining({ path: "/project", received: '"not-a-uuid"' })]);
  });

  it("names a missing property as received nothing and an extra one by its value", async () => {
    const hub = await testHub();
    const answer = await send(hub, "/api/v1/tokens", { method: "POST", body: JSON.stringify({ scopes: ["read"], extra: { a: 1 } }) });
    expect(issuesOf(answer.json)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "/project", received: "nothing" }),
        expect.objectContaining({ path: "/extra", received: '{"a":1}' }),
      ]),
    );
  });

  it("POST /api/v1/tokens: every issue receives the body's value at its path", async () => {
    const hub = await testHub();
    const seed = { project: PROJECT_A, scopes: ["read", "write"], label: "ci" };
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const body = asSent(mutations.reduce<unknown>((value, next) => mutate(value, next), seed));
        const answer = await send(hub, "/api/v1/tokens", { method: "POST", body: JSON.stringify(body) });
        if (answer.status === 201) return; // the mutations left it valid
        expect(answer.status).toBe(400);
        for (const issue of issuesOf(answer.json)) expectIssueHonest(issue, body);
      }),
      RUNS,
    );
  });

  it("DELETE /api/v1/tokens/:id: the id over 64 characters is received as sent", async () => {
    const hub = await testHub();
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{65,99}$/), async (id) => {
        const answer = await send(hub, `/api/v1/tokens/${id}`, { method: "DELETE" });
        expect(answer.status).toBe(400);
        expect(issuesOf(answer.json)).toEqual([expect.objectContaining({ path: "/id", received: JSON.stringify(id) })]);
      }),
      { numRuns: 10, seed: 14 },
    );
  });
});

describe("hub HTTP: POST /api/v1/events/batch", () => {
  it("receives the body's or the event's value at each issue's path", async () => {
    const hub = await testHub();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const seed = { events: [event(), sessionEvent("s-1", PHASE), machineEvent("ui")] };
        const body = asSent(mutations.reduce<unknown>((value, next) => mutate(value, next), seed));
        const answer = await send(hub, "/api/v1/events/batch", { method: "POST", body: JSON.stringify(body) });
        if (answer.status === 413) return; // an events array past max_events_per_batch
        if (answer.status === 400) {
          for (const issue of issuesOf(answer.json)) expectIssueHonest(issue, body);
          return;
        }
        expect(answer.status).toBe(200);
        const decoded = batchResponseCodec.decode(answer.json);
        if (!decoded.ok) throw new Error(JSON.stringify(decoded.issues));
        const events = (body as { events: unknown[] }).events;
        for (const result of decoded.value.results) {
          if (result.status === "rejected") for (const issue of result.issues) expectIssueHonest(issue, events[result.index]);
        }
      }),
      RUNS,
    );
  });

  it("receives a body that does not parse as its text", async () => {
    const hub = await testHub();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 600 }).map((text) => `{${text}`), async (text) => {
        const answer = await send(hub, "/api/v1/events/batch", { method: "POST", body: text });
        expect(answer.status).toBe(400);
        const [issue, ...rest] = issuesOf(answer.json);
        expect(rest).toEqual([]);
        expect(issue?.path).toBe("");
        expectReceivedIs(issue?.received ?? "", JSON.stringify(text));
      }),
      { numRuns: 20, seed: 14 },
    );
  });

  it("receives the event refused by project or by size as sent", async () => {
    const hub = await testHub({ limits: { max_event_bytes: 2_048 } });
    const token = await projectToken(hub, PROJECT_A);
    const other = event({ project_uuid: PROJECT_B });
    const big = sizedEvent(3_000, PROJECT_A);
    const answer = await send(hub, "/api/v1/events/batch", { method: "POST", body: JSON.stringify({ events: [other, big] }), headers: { authorization: `Bearer ${token}` } });
    const decoded = batchResponseCodec.decode(answer.json);
    if (!decoded.ok) throw new Error(JSON.stringify(answer.json));
    const [forbidden, tooLarge] = decoded.value.results;
    if (forbidden?.status !== "rejected" || tooLarge?.status !== "rejected") throw new Error(JSON.stringify(decoded.value));
    expect(forbidden.issues).toEqual([expect.objectContaining({ path: "/project_uuid", received: JSON.stringify(PROJECT_B) })]);
    expect(tooLarge.issues).toHaveLength(1);
    for (const issue of tooLarge.issues) expectIssueHonest(issue, asSent(big));
  });
});

/** The schema's valid client frames, and a publish frame with events of three kinds. */
function frameSeeds(): unknown[] {
  const dir = fileURLToPath(new URL("../../schema/fixtures/valid/ClientFrame/", import.meta.url));
  const files = ["hello", "ping", "pong", "subscribe", "unsubscribe"].map((name) => JSON.parse(readFileSync(`${dir}${name}.json`, "utf8")) as unknown);
  return [...files, { type: "publish", ref: "p1", events: [event(), sessionEvent("s-1", PHASE), machineEvent("ui")] }];
}

/** Sends one frame and waits for the one answer it gets. */
async function answerTo(socket: TestSocket, frame: string): Promise<HubFrame> {
  const before = socket.frames.length;
  socket.sendRaw(frame);
  return vi.waitFor(
    () => {
      const answer = socket.frames[before];
      if (answer === undefined) throw new Error("no answer yet");
      return answer;
    },
    { timeout: 10_000, interval: 2 },
  );
}

describe("hub WebSocket: frames and the events in them", () => {
  it("receives the frame's or the event's value at each issue's path", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const seeds = frameSeeds();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (index, mutations) => {
        const frame = asSent(mutations.reduce((value, next) => mutate(value, next), seeds[index]));
        const valid = clientFrameCodec.decode(frame);
        // A valid frame other than publish may get no answer (pong) or open a subscription.
        fc.pre(!valid.ok || valid.value.type === "publish");
        const answer = await answerTo(socket, JSON.stringify(frame));
        if (answer.type === "ack") {
          const events = (frame as { events: unknown[] }).events;
          for (const result of answer.results) if (result.status === "rejected") for (const issue of result.issues) expectIssueHonest(issue, events[result.index]);
          return;
        }
        expect(answer.type).toBe("error");
        if (answer.type !== "error") return;
        expect(answer.issues?.length).toBeGreaterThan(0);
        for (const issue of answer.issues ?? []) expectIssueHonest(issue, frame);
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it("says unknown_type for a type it does not know, bad_frame for none, receiving either as sent", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    const unknown = await answerTo(socket, JSON.stringify({ type: "nope" }));
    expect(unknown).toMatchObject({ type: "error", code: "unknown_type", issues: [{ path: "/type", received: '"nope"' }] });
    const missing = await answerTo(socket, JSON.stringify({ ref: "r" }));
    expect(missing).toMatchObject({ type: "error", code: "bad_frame", issues: [{ path: "/type", received: "nothing" }] });
    const text = "{not json";
    const unparsed = await answerTo(socket, text);
    expect(unparsed).toMatchObject({ type: "error", code: "bad_frame", issues: [{ path: "", received: JSON.stringify(text) }] });
  });
});

describe("hub SSE: a position that is neither a token nor a protocol-1 seq", () => {
  it("says the since or Last-Event-ID it received", async () => {
    const hub = await testHub();
    const text = (minLength: number, maxLength: number) => fc.string({ unit: "grapheme-ascii", minLength, maxLength });
    // Short ones are received whole, long ones cut at RECEIVED_MAX_CHARS.
    const position = fc.oneof(text(1, 20), text(200, 400)).filter((value) => !/^\d{1,16}$/.test(value) && parsePosition(value) === undefined && value === value.trim());
    await fc.assert(
      fc.asyncProperty(position, fc.boolean(), async (text, asHeader) => {
        const answer = asHeader
          ? await send(hub, "/api/events", { headers: { "last-event-id": text } })
          : await send(hub, `/api/events?since=${encodeURIComponent(text)}`);
        expect(answer.status).toBe(400);
        const { message } = errorOf(answer.json);
        expect(message.startsWith(asHeader ? "Last-Event-ID:" : "since:")).toBe(true);
        expectReceivedIs(message.slice(message.indexOf(", received ") + ", received ".length), JSON.stringify(text));
      }),
      { numRuns: 30, seed: 14 },
    );
  });
});
