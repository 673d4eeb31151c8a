import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, expect, it, vi } from "vitest";
import { CLOSE_CODES, errorResponseCodec, problemsFrameCodec, sessionFrameCodec } from "@events/schema";
import { PROJECT_A, problemsSnapshot, sessionEvent } from "./helpers/envelopes.js";
import { projectToken, testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const AT = "2026-11-20T10:00:00Z";

describe("session channels (GET /api/v1/sessions/{id}/events)", () => {
  it("closes with 4404 for a session the hub has never seen", async () => {
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/unknown/events`, { token: hub.admin });
    expect(await socket.closed).toEqual({ code: CLOSE_CODES.notFound, reason: "session_not_found" });
  });

  it("sends the session's frames from its start, then live, and closes with 1000 after done", async () => {
    const hub = await testHub();
    const token = await projectToken(hub, PROJECT_A);
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
    await writer.publish([
      sessionEvent("s1", { kind: "phase", phase: "validating_inputs", at: AT }, PROJECT_A),
      sessionEvent("other", { kind: "phase", phase: "x", at: AT }, PROJECT_A),
      sessionEvent("s1", { kind: "progress", phase: "validating_inputs", current: 1, total: 3 }, PROJECT_A),
    ]);
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/s1/events`, { token });
    await waitFrames(reader, 2);
    await writer.publish([sessionEvent("s1", { kind: "warning", phase: "validating_inputs", message: "slow" }, PROJECT_A)]);
    await writer.publish([sessionEvent("s1", { kind: "done", result: { ok: true } }, PROJECT_A)]);
    expect((await reader.closed).code).toBe(CLOSE_CODES.normal);
    const kinds = reader.raw.map((text) => {
      const decoded = sessionFrameCodec.decodeJson(text);
      if (!decoded.ok) throw new Error(text);
      return decoded.value.kind;
    });
    expect(kinds).toEqual(["phase", "progress", "warning", "done"]);
  });

  it("replays a finished session and closes after its failed frame", async () => {
    const hub = await testHub();
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: hub.admin });
    await writer.publish([
      sessionEvent("s2", { kind: "phase", phase: "p", at: AT }),
      sessionEvent("s2", { kind: "failed", phase: "p", error: { code: "E1", message: "boom" } }),
    ]);
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/s2/events`, { token: hub.admin });
    expect((await reader.closed).code).toBe(CLOSE_CODES.normal);
    expect(reader.raw.map((text) => (JSON.parse(text) as { kind: string }).kind)).toEqual(["phase", "failed"]);
  });
});

describe("refused upgrades", () => {
  it("answers a session's ?since= that is neither a position token nor a protocol-1 seq with 400 and an ErrorResponse naming it", async () => {
    const hub = await testHub();
    for (const since of ["abc", "-1", "1e3", "0x10", "1.5", "-:1,-:2", `${PROJECT_A}:x`]) {
      const refused = await upgradeRefusal(`${hub.url}/api/v1/sessions/s1/events?since=${encodeURIComponent(since)}`, hub.admin);
      expect(refused.status, `since=${since}`).toBe(400);
      expect(refused.contentType).toBe("application/json; charset=utf-8");
      const body = errorResponseCodec.decodeJson(refused.body);
      if (!body.ok) throw new Error(refused.body);
      expect(body.value.error).toMatchObject({ code: "bad_request", issues: [{ path: "/since", received: JSON.stringify(since) }] });
      expect(body.value.error.message).toMatch(/^since: expected a position token .* or a protocol-1 seq, received /);
    }
    // A token, the empty one (from the start) or a protocol-1 seq is taken: the upgrade goes through (and the unknown session closes 4404).
    for (const since of [`${PROJECT_A}:3`, "", "7"]) {
      const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/sessions/s1/events?since=${encodeURIComponent(since)}`, { token: hub.admin });
      expect((await socket.closed).code).toBe(CLOSE_CODES.notFound);
    }
  });

  it("answers an unknown path with 404 and an ErrorResponse", async () => {
    const hub = await testHub();
    const refused = await upgradeRefusal(`${hub.url}/api/v1/nope`, hub.admin);
    expect(refused.status).toBe(404);
    const body = errorResponseCodec.decodeJson(refused.body);
    expect(body.ok && body.value.error.code).toBe("not_found");
  });
});

/** The answer to a WebSocket upgrade the hub refuses: its status, content type and body. */
function upgradeRefusal(url: string, token: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
      },
    });
    request.on("upgrade", (_response, socket) => {
      socket.destroy();
      reject(new Error(`${url} was upgraded`));
    });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: response.headers["content-type"], body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("problems channel (GET /api/v1/problems/events)", () => {
  it("sends the latest snapshot on join, then the deltas the hub computes", async () => {
    const hub = await testHub();
    const token = await projectToken(hub, PROJECT_A);
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
    const a = { rule: "missing-readme", offending_path: "/a", severity: "warning" };
    const b = { rule: "missing-readme", offending_path: "/b" };
    await writer.publish([problemsSnapshot([a, b], PROJECT_A, AT)]);
    const reader = await TestSocket.open(`${hub.wsUrl}/api/v1/problems/events`, { token });
    await waitFrames(reader, 1);
    const changedA = { ...a, severity: "error" };
    const c = { rule: "bad-name", offending_path: "/c" };
    await writer.publish([problemsSnapshot([changedA, c], PROJECT_A, "2026-11-20T11:00:00Z")]);
    await writer.publish([problemsSnapshot([changedA, c], PROJECT_A, "2026-11-20T12:00:00Z")]);
    await writer.publish([problemsSnapshot([c], PROJECT_A, "2026-11-20T13:00:00Z")]);
    await waitFrames(reader, 3);
    const frames = reader.raw.map((text) => {
      const decoded = problemsFrameCodec.decodeJson(text);
      if (!decoded.ok) throw new Error(text);
      return decoded.value;
    });
    expect(frames).toEqual([
      { kind: "snapshot", findings: [a, b], audit_at: AT },
      { kind: "delta", added: [c], removed: [b], changed: [changedA], audit_at: "2026-11-20T11:00:00Z" },
      { kind: "delta", added: [], removed: [changedA], changed: [], audit_at: "2026-11-20T13:00:00Z" },
    ]);
  });

  it("continues deltas from the stored snapshot after a restart", async () => {
    const hub = await testHub({ adminToken: "admin-secret" });
    const writer = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token: "admin-secret" });
    const a = { rule: "r", offending_path: "/a" };
    await writer.publish([problemsSnapshot([a], null, AT)]);
    writer.close();
    await hub.stop();
    const again = await testHub({ adminToken: "admin-secret", dataDir: `${hub.dir}/data` });
    const reader = await TestSocket.open(`${again.wsUrl}/api/v1/problems/events`, { token: "admin-secret" });
    await waitFrames(reader, 1);
    expect(JSON.parse(reader.raw[0]!)).toEqual({ kind: "snapshot", findings: [a], audit_at: AT });
  });
});

async function waitFrames(socket: TestSocket, count: number): Promise<void> {
  await vi.waitFor(() => {
    if (socket.raw.length < count) throw new Error(`${socket.raw.length} of ${count} frames`);
  }, { timeout: 10_000 });
}
