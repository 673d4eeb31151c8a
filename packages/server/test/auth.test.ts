import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, PROTOCOL_VERSION, type ErrorResponse } from "@events/schema";
import { startHub } from "../src/index.js";
import { TicketSigner } from "../src/auth/tickets.js";
import { ADMIN } from "../src/auth/principal.js";
import type { HubStore } from "../src/store/hub-store.js";
import { event, PROJECT_A, PROJECT_B, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";
import { RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function api(hub: TestHub, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${hub.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

describe("tokens over HTTP", () => {
  it("creates, lists and revokes project tokens with the admin token only", async () => {
    const hub = await testHub();
    const created = await api(hub, "/api/v1/tokens", { method: "POST", token: hub.admin, body: { project: PROJECT_A, scopes: ["read", "write"], label: "ci" } });
    expect(created.status).toBe(201);
    const { id, token } = created.json as { id: string; token: string };
    expect(token).toMatch(/^evt_/);
    const listed = await api(hub, "/api/v1/tokens", { token: hub.admin });
    expect(listed.json).toEqual({ tokens: [{ id, project: PROJECT_A, scopes: ["read", "write"], label: "ci", created_at: expect.any(String) as string, revoked_at: null }] });
    expect(JSON.stringify(listed.json)).not.toContain(token);
    expect((await api(hub, "/api/v1/tokens", { token })).status).toBe(403);
    expect((await api(hub, "/api/v1/tokens", { method: "POST", token, body: { project: PROJECT_A, scopes: ["read"] } })).status).toBe(403);
    expect((await api(hub, "/api/v1/tokens")).status).toBe(401);
    expect((await api(hub, "/api/v1/tokens", { token: "eva_wrong" })).status).toBe(401);
    expect((await api(hub, `/api/v1/tokens/${id}`, { method: "DELETE", token: hub.admin })).status).toBe(204);
    expect((await api(hub, `/api/v1/tokens/${id}`, { method: "DELETE", token: hub.admin })).status).toBe(404);
    // A revoked token is refused everywhere it is checked, GET /api/v1/limits included (open to no credential, not to a dead one).
    expect((await api(hub, "/api/v1/limits", { token })).status).toBe(401);
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
    expect((await socket.closed).code).toBe(CLOSE_CODES.unauthenticated);
  });

  it("validates token requests strictly, with issues", async () => {
    const hub = await testHub();
    for (const body of [{ project: "not-a-uuid", scopes: ["read"] }, { project: PROJECT_A, scopes: [] }, { project: PROJECT_A, scopes: ["admin"] }, { project: PROJECT_A, scopes: ["read"], extra: 1 }]) {
      const answer = await api(hub, "/api/v1/tokens", { method: "POST", token: hub.admin, body });
      expect(answer.status).toBe(400);
      expect((answer.json as ErrorResponse).error.issues?.length).toBeGreaterThan(0);
    }
  });

  it("stores only SHA-256 digests of tokens", async () => {
    const hub = await testHub();
    const token = await projectToken(hub, PROJECT_A);
    await hub.stop();
    const dataDir = join(hub.dir, "data");
    const database = new BetterSqlite3(join(dataDir, "hub.db"), { readonly: true });
    const rows = database.prepare("select token_hash from tokens").all() as { token_hash: string }[];
    const admin = database.prepare("select value from hub_meta where key = 'admin_token_sha256'").get() as { value: string };
    database.close();
    expect(rows).toEqual([{ token_hash: createHash("sha256").update(token).digest("hex") }]);
    expect(admin.value).toBe(createHash("sha256").update(hub.admin).digest("hex"));
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file));
      expect(bytes.includes(token)).toBe(false);
      expect(bytes.includes(hub.admin)).toBe(false);
    }
  });

  it("generates the admin token at first start only, and takes one given", async () => {
    const hub = await testHub();
    expect(hub.admin).toMatch(/^eva_/);
    await hub.stop();
    const again = await startHub({ port: 0, dataDir: join(hub.dir, "data"), socketPath: false, logger: "silent" });
    try {
      expect(again.adminToken).toBeNull();
      expect((await fetch(`${again.url}/api/v1/tokens`, { headers: bearer(hub.admin) })).status).toBe(200);
    } finally {
      await again.close();
    }
    const given = await testHub({ adminToken: "my-admin-secret" });
    expect(given.hub.adminToken).toBe("my-admin-secret");
    expect((await api(given, "/api/v1/tokens", { token: "my-admin-secret" })).status).toBe(200);
  });
});

describe("stream tickets", () => {
  it("expire, and cannot be forged", async () => {
    const meta = new Map<string, string>();
    const store = {
      getMeta: (key: string) => Promise.resolve(meta.get(key)),
      claimMeta: (key: string, value: string) => Promise.resolve(meta.get(key) ?? (meta.set(key, value), value)),
    } as unknown as HubStore;
    const signer = await TicketSigner.load(store);
    const { ticket, expiresAt } = signer.issue(ADMIN, 1_000, 5_000);
    expect(expiresAt).toBe(6_000);
    expect(signer.verify(ticket, 5_999)).toBe("admin");
    expect(signer.verify(ticket, 6_000)).toBeUndefined();
    const [payload, mac] = ticket.split(".");
    const forged = Buffer.from(JSON.stringify({ t: "admin", e: 99_999 })).toString("base64url");
    expect(signer.verify(`${forged}.${mac}`, 5_000)).toBeUndefined();
    expect(signer.verify(`${payload}.x${mac}`, 5_000)).toBeUndefined();
    const other = await TicketSigner.load({ getMeta: () => Promise.resolve(undefined), claimMeta: (_key: string, value: string) => Promise.resolve(value) } as unknown as HubStore);
    expect(other.verify(ticket, 5_000)).toBeUndefined();
  });
});

describe("the auth matrix: a token for one project never reads or writes another", () => {
  async function setup() {
    const hub = await testHub();
    const tokens = {
      a: await projectToken(hub, PROJECT_A),
      aRead: await projectToken(hub, PROJECT_A, ["read"]),
      aWrite: await projectToken(hub, PROJECT_A, ["write"]),
      b: await projectToken(hub, PROJECT_B),
    };
    const admin = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await admin.publish([
      sessionEvent("session-b", { kind: "phase", phase: "p", at: "2026-11-20T10:00:00Z" }, PROJECT_B),
      problemsSnapshot([{ rule: "r", offending_path: "/b" }], PROJECT_B),
    ]);
    return { hub, tokens, admin };
  }

  it("refuses every cross-project write, over WebSocket and HTTP, per event", async () => {
    const { hub, tokens } = await setup();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: tokens.a });
    const ack = await socket.publish([event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B }), event({ project_uuid: null })]);
    expect(ack.results.map((result) => result.status)).toEqual(["accepted", "rejected", "rejected"]);
    for (const result of ack.results.slice(1)) {
      expect(result.status === "rejected" && result.issues[0]).toMatchObject({ path: "/project_uuid", message: expect.stringContaining("forbidden") as string });
    }
    const http = await api(hub, "/api/v1/events/batch", { method: "POST", token: tokens.b, body: { events: [event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B })] } });
    expect((http.json as { results: { status: string }[] }).results.map((result) => result.status)).toEqual(["rejected", "accepted"]);
    const readOnly = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: tokens.aRead });
    readOnly.send({ type: "publish", ref: "x", events: [event({ project_uuid: PROJECT_A })] });
    expect((await readOnly.closed).code).toBe(CLOSE_CODES.forbidden);
    expect((await api(hub, "/api/v1/events/batch", { method: "POST", token: tokens.aRead, body: { events: [] } })).status).toBe(403);
  });

  it("refuses every cross-project read: subscribe, SSE, session and problems channels", async () => {
    const { hub, tokens, admin } = await setup();
    const subscribeB = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: tokens.a });
    subscribeB.send({ type: "subscribe", sub: "s", channel: "events", project: PROJECT_B });
    expect(await subscribeB.next("error")).toMatchObject({ code: "forbidden", sub: "s", channel: "events", message: expect.stringContaining(`not ${PROJECT_B}`) as string });
    // The refusal ends that subscription only: the connection still serves the token's own project.
    subscribeB.send({ type: "subscribe", sub: "own", channel: "events" });
    await subscribeB.next("subscribed", (frame) => frame.sub === "own");
    expect(subscribeB.of("subscribed").map((frame) => frame.sub)).toEqual(["own"]);
    const writeOnly = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: tokens.aWrite });
    writeOnly.send({ type: "subscribe", sub: "s" });
    expect(await writeOnly.next("error")).toMatchObject({ code: "forbidden", sub: "s", message: expect.stringContaining("no read scope") as string });
    expect(writeOnly.of("subscribed")).toEqual([]);
    expect((await RawSse.open(`${hub.url}/api/events?project=${PROJECT_B}`, bearer(tokens.a))).status).toBe(403);
    expect((await RawSse.open(`${hub.url}/api/events`, bearer(tokens.aWrite))).status).toBe(403);
    expect((await RawSse.open(`${hub.url}/api/events`)).status).toBe(401);
    const session = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/session-b/events`, { token: tokens.a });
    expect((await session.closed).code).toBe(CLOSE_CODES.forbidden);
    const problems = await TestSocket.open(`${hub.wsUrl}/api/v1/problems/events?project=${PROJECT_B}`, { token: tokens.a });
    expect((await problems.closed).code).toBe(CLOSE_CODES.forbidden);
    const anonymous = await TestSocket.open(`${hub.wsUrl}/api/v1/problems/events`);
    expect((await anonymous.closed).code).toBe(CLOSE_CODES.unauthenticated);

    // Unfiltered reads are confined to the token's project: history and live.
    const own = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: tokens.a });
    own.send({ type: "subscribe", sub: "all", since: 0 });
    const sse = await RawSse.open(`${hub.url}/api/events?since=0`, bearer(tokens.aRead));
    await own.next("subscribed");
    await sse.waitFor(() => sse.named("ready")[0]);
    await admin.publish([event({ project_uuid: PROJECT_B }), event({ project_uuid: null }), event({ project_uuid: PROJECT_A })]);
    await own.next("message");
    await sse.waitFor(() => sse.named("WPAssigned")[0]);
    const seen = [...own.of("message").map((message) => message.event.project_uuid), ...sse.events.filter((item) => item.id !== undefined).map((item) => (JSON.parse(item.data) as { project_uuid: string }).project_uuid)];
    expect(seen).toEqual([PROJECT_A, PROJECT_A]);
    sse.close();
  });

  it("gives tickets read access only, to the token's own project", async () => {
    const { hub, tokens } = await setup();
    const ticketFor = async (token: string) => ((await (await fetch(`${hub.url}/api/v1/stream-tickets`, { method: "POST", headers: bearer(token) })).json()) as { ticket: string }).ticket;
    const ticket = encodeURIComponent(await ticketFor(tokens.a));
    expect((await RawSse.open(`${hub.url}/api/events?project=${PROJECT_B}&ticket=${ticket}`)).status).toBe(403);
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws?ticket=${ticket}`);
    socket.send({ type: "publish", ref: "x", events: [event({ project_uuid: PROJECT_A })] });
    expect((await socket.closed).code).toBe(CLOSE_CODES.forbidden);
    expect((await fetch(`${hub.url}/api/v1/stream-tickets`, { method: "POST", headers: bearer(tokens.aWrite) })).status).toBe(403);
    expect((await api(hub, `/api/v1/events/batch?ticket=${ticket}`, { method: "POST", body: { events: [] } })).status).toBe(401);
  });
});

describe("revocation", () => {
  it("closes the open WebSockets of a revoked token with 4401, and refuses it from then on", async () => {
    const hub = await testHub();
    const created = (await api(hub, "/api/v1/tokens", { method: "POST", token: hub.admin, body: { project: PROJECT_A, scopes: ["read", "write"] } })).json as { id: string; token: string };
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: created.token });
    socket.send({ type: "hello", protocol: PROTOCOL_VERSION });
    await socket.next("welcome");
    const other = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    other.send({ type: "hello", protocol: PROTOCOL_VERSION });
    await other.next("welcome");
    expect((await api(hub, `/api/v1/tokens/${created.id}`, { method: "DELETE", token: hub.admin })).status).toBeLessThan(300);
    expect((await socket.closed).code).toBe(CLOSE_CODES.unauthenticated);
    expect((await api(hub, "/api/v1/limits", { token: created.token })).status).toBeLessThan(500);
    expect((await api(hub, "/api/v1/events/batch", { method: "POST", token: created.token, body: { events: [] } })).status).toBe(401);
    // Other connections are untouched.
    other.send({ type: "ping", ts: 1 });
    await other.next("pong");
    other.close();
  });
});
