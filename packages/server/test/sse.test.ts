import { connect } from "node:net";
import { describe, expect, it, vi } from "vitest";
import {
  CLOSE_CODES,
  SSE_EVENTS,
  envelopeCodec,
  sseEndDataCodec,
  sseReadyDataCodec,
  sseResetDataCodec,
  type Envelope,
  type ErrorResponse,
} from "@events/schema";
import { createLogger } from "../src/index.js";
import { event, events, fixture, machineEvent, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";
import { RawSse } from "./helpers/sse-client.js";
import { TestSocket } from "./helpers/ws-client.js";

/** Publishes; each event's `<stream>:<seq>`. */
async function publish(hub: TestHub, batch: Envelope[], token = hub.admin): Promise<string[]> {
  const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`, { token });
  const ack = await socket.publish(batch);
  socket.close();
  return ack.results.map((result) => (result.status === "rejected" ? "rejected" : `${result.stream}:${result.seq}`));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("SSE (GET /api/events)", () => {
  it("sends ready first with retry, then named frames with id: the position after the event, unbuffered", async () => {
    const hub = await testHub({ sseRetryMs: 1234 });
    const sse = await RawSse.open(`${hub.url}/api/events`, bearer(hub.admin));
    expect(sse.status).toBe(200);
    expect(sse.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(sse.headers["x-accel-buffering"]).toBe("no");
    expect(sse.headers["cache-control"]).toContain("no-cache");
    await sse.waitFor(() => sse.events.length > 0);
    expect(sse.text.startsWith("retry: 1234\nevent: ready\n")).toBe(true);
    expect(sse.events[0]!.event).toBe(SSE_EVENTS.ready);
    expect(sseReadyDataCodec.decodeJson(sse.events[0]!.data)).toEqual({ ok: true, value: { position: "", heartbeat_ms: 15_000 } });
    const sent = event({ project_uuid: PROJECT_A });
    const [position] = await publish(hub, [sent]);
    expect(position).toBe(`${PROJECT_A}:1`);
    const frame = await sse.waitFor(() => sse.named("WPAssigned")[0]);
    expect(frame.id).toBe(position);
    const decoded = envelopeCodec.decodeJson(frame.data);
    expect(decoded.ok && decoded.value.event_id).toBe(sent.event_id);
    sse.close();
  });

  it("writes heartbeat comments and ends the stream with `end` at the lifetime cap", async () => {
    const hub = await testHub({ heartbeatMs: 40, sseMaxLifetimeMs: 400 });
    const sse = await RawSse.open(`${hub.url}/api/events`, bearer(hub.admin));
    await sse.waitFor(() => sse.comments.includes(": keep-alive"));
    await sse.waitFor(() => sse.ended);
    const end = sse.named("end");
    expect(end.length).toBe(1);
    expect(sseEndDataCodec.decodeJson(end[0]!.data)).toEqual({ ok: true, value: { reason: "lifetime", code: CLOSE_CODES.normal, message: "lifetime" } });
    expect(sse.events.at(-1)?.event).toBe("end");
  });

  it("filters by ?channel= and ?project=", async () => {
    const hub = await testHub();
    const machines = await RawSse.open(`${hub.url}/api/events?channel=machine:*`, bearer(hub.admin));
    const projectB = await RawSse.open(`${hub.url}/api/events?project=${PROJECT_B}`, bearer(hub.admin));
    await machines.waitFor(() => machines.named("ready")[0]);
    await projectB.waitFor(() => projectB.named("ready")[0]);
    await publish(hub, [event({ project_uuid: PROJECT_A }), machineEvent("w1"), event({ project_uuid: PROJECT_B })]);
    await machines.waitFor(() => machines.named("MachineEvent")[0]);
    await projectB.waitFor(() => projectB.named("WPAssigned")[0]);
    expect(machines.events.filter((item) => item.id !== undefined).length).toBe(1);
    expect(projectB.events.filter((item) => item.id !== undefined).map((item) => (JSON.parse(item.data) as Envelope).project_uuid)).toEqual([PROJECT_B]);
    machines.close();
    projectB.close();
  });

  it("sends the payload alone as data with ?data=payload (kube-coder's flat frames), ids and names unchanged", async () => {
    const hub = await testHub();
    const flat = await RawSse.open(`${hub.url}/api/events?channel=tasks&data=payload`, bearer(hub.admin));
    await flat.waitFor(() => flat.named("ready")[0]);
    const created = { ...fixture("task-created-kube-coder"), event_id: event().event_id };
    const status = { ...fixture("task-status-kube-coder-epoch"), event_id: event().event_id };
    const seqs = await publish(hub, [created, status]);
    await flat.waitFor(() => flat.named("task.status")[0]);
    // Both are in one stream, so the position after each is that stream's seq.
    expect(flat.named("task.created").map((item) => [item.id, JSON.parse(item.data)])).toEqual([[seqs[0], created.payload]]);
    expect(flat.named("task.status").map((item) => [item.id, JSON.parse(item.data)])).toEqual([[seqs[1], status.payload]]);
    flat.close();
    const bad = await fetch(`${hub.url}/api/events?data=flat`, { headers: bearer(hub.admin) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("data: expected envelope or payload");
  });

  it("sends an HTTP/1.0 client (nginx's default upstream protocol) plain frames, not HTTP/1.1 chunks", async () => {
    const hub = await testHub();
    const socket = connect(Number(new URL(hub.url).port), "127.0.0.1");
    let raw = "";
    socket.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    socket.write(`GET /api/events HTTP/1.0\r\nAuthorization: Bearer ${hub.admin}\r\n\r\n`);
    await vi.waitFor(() => expect(raw).toContain("event: ready"), { timeout: 10_000 });
    // One stream seen so far: the shared frame, whose `id: <stream>:<seq>` is the whole position.
    const [position] = await publish(hub, [event({ project_uuid: PROJECT_A })]);
    await vi.waitFor(() => expect(raw).toMatch(new RegExp(`id: ${position}\nevent: WPAssigned\ndata: \\{.*\\}\n\n`)), { timeout: 10_000 });
    // A second stream: the shared frame without id, then this subscriber's own id, the whole position.
    await publish(hub, [event({ project_uuid: PROJECT_B })]);
    const both = [`${PROJECT_A}:1`, `${PROJECT_B}:1`].sort().join(",");
    await vi.waitFor(() => expect(raw).toMatch(new RegExp(`event: WPAssigned\ndata: \\{.*\\}\nid: ${both}\n\n`)), { timeout: 10_000 });
    const [head, body] = raw.split("\r\n\r\n", 2) as [string, string];
    expect(head.toLowerCase()).not.toContain("transfer-encoding");
    expect(head.toLowerCase()).not.toContain("connection: keep-alive");
    // Every line of the body is SSE: no chunk-size lines between frames.
    for (const line of body.split("\n")) expect(line).toMatch(/^(|retry: \d+|id: [-:,\w]+|event: [\w.]+|data: .*|: keep-alive)$/);
    socket.destroy();
  });

  it("refuses an unknown channel with 400 unknown_channel naming it, before any stream opens", async () => {
    const hub = await testHub();
    for (const channel of ["sessions", "foo:*", "machine:a\u0000b"]) {
      const response = await fetch(`${hub.url}/api/events?channel=${encodeURIComponent(channel)}`, { headers: bearer(hub.admin) });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unknown_channel");
      expect(body.error.message).toContain(JSON.stringify(channel));
    }
    const history = await fetch(`${hub.url}/api/v1/events?channel=%00`, { headers: bearer(hub.admin) });
    expect(history.status).toBe(400);
    expect(((await history.json()) as { error: { code: string } }).error.code).toBe("unknown_channel");
  });

  it("resumes from Last-Event-ID (which wins over ?since=) or ?since=", async () => {
    const hub = await testHub();
    const seqs = await publish(hub, events(10));
    expect(seqs[6]).toBe("-:7");
    const byHeader = await RawSse.open(`${hub.url}/api/events?since=`, { ...bearer(hub.admin), "last-event-id": seqs[6]! });
    await byHeader.waitFor(() => byHeader.events.filter((item) => item.id !== undefined).length === 3);
    expect(byHeader.events.filter((item) => item.id !== undefined).map((item) => item.id)).toEqual(seqs.slice(7));
    const bySince = await RawSse.open(`${hub.url}/api/events?since=${seqs[7]}`, bearer(hub.admin));
    await bySince.waitFor(() => bySince.events.filter((item) => item.id !== undefined).length === 2);
    expect(bySince.events.filter((item) => item.id !== undefined).map((item) => item.id)).toEqual(seqs.slice(8));
    for (const [header, value] of [["last-event-id", "abc"], ["last-event-id", "-:1,-:2"]] as const) {
      const bad = await fetch(`${hub.url}/api/events`, { headers: { ...bearer(hub.admin), [header]: value } });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as ErrorResponse;
      expect(body.error).toMatchObject({ code: "bad_request", issues: [{ path: "/Last-Event-ID", received: JSON.stringify(value) }] });
      expect(body.error.message).toMatch(/^Last-Event-ID: expected a position token/);
    }
    const badSince = (await (await fetch(`${hub.url}/api/events?since=${PROJECT_A}`, { headers: bearer(hub.admin) })).json()) as ErrorResponse;
    expect(badSince.error).toMatchObject({ code: "bad_request", issues: [{ path: "/since" }] });
    byHeader.close();
    bySince.close();
  });

  it("sends an explicit reset (with the id to continue from) when the position cannot be served", async () => {
    const hub = await testHub({ retainEvents: 3 });
    const seqs = await publish(hub, events(8));
    const ahead = await RawSse.open(`${hub.url}/api/events`, { ...bearer(hub.admin), "last-event-id": "-:99999" });
    const reset = await ahead.waitFor(() => ahead.named("reset")[0]);
    expect(reset.id).toBe(seqs[7]);
    const ahead7 = sseResetDataCodec.decodeJson(reset.data);
    expect(ahead7.ok && ahead7.value).toMatchObject({ reason: "position_ahead", streams: ["-"], position: seqs[7] });
    expect(sseReadyDataCodec.decodeJson(ahead.named("ready")[0]!.data)).toMatchObject({ ok: true, value: { position: seqs[7] } });
    await hub.hub.prune();
    const pruned = await RawSse.open(`${hub.url}/api/events?since=-:1`, bearer(hub.admin));
    const unavailable = await pruned.waitFor(() => pruned.named("reset")[0]);
    const pruned4 = sseResetDataCodec.decodeJson(unavailable.data);
    expect(pruned4.ok && pruned4.value).toMatchObject({ reason: "position_unavailable", streams: ["-"], position: seqs[4] });
    await pruned.waitFor(() => pruned.named("WPAssigned").length === 3);
    expect(pruned.events.map((item) => item.event)).toEqual(["ready", "reset", "WPAssigned", "WPAssigned", "WPAssigned"]);
    ahead.close();
    pruned.close();
  });

  it("authenticates browsers with a short-lived ticket that never reaches the logs", async () => {
    const lines: string[] = [];
    const hub = await testHub({ logger: createLogger("debug", (line) => lines.push(line)), ticketTtlMs: 60_000 });
    const token = await projectToken(hub, PROJECT_A, ["read"]);
    const issued = await fetch(`${hub.url}/api/v1/stream-tickets`, { method: "POST", headers: bearer(token) });
    expect(issued.status).toBe(201);
    const { ticket, expires_at } = (await issued.json()) as { ticket: string; expires_at: string };
    expect(ticket).not.toContain(token);
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    const sse = await RawSse.open(`${hub.url}/api/events?ticket=${encodeURIComponent(ticket)}`);
    expect(sse.status).toBe(200);
    await publish(hub, [event({ project_uuid: PROJECT_A }), event({ project_uuid: PROJECT_B })]);
    await sse.waitFor(() => sse.named("WPAssigned")[0]);
    expect(sse.named("WPAssigned").length).toBe(1);
    const forged = await RawSse.open(`${hub.url}/api/events?ticket=${encodeURIComponent(`${ticket.slice(0, -2)}xx`)}`);
    expect(forged.status).toBe(401);
    sse.close();
    await hub.stop();
    expect(lines.some((line) => line.includes("/api/events"))).toBe(true);
    expect(lines.some((line) => line.includes(ticket) || line.includes("ticket="))).toBe(false);
  });

  it("ends the open streams of a revoked token with end {reason: revoked}, and refuses its tickets from then on", async () => {
    const hub = await testHub();
    const token = await projectToken(hub, PROJECT_A, ["read"]);
    const other = await projectToken(hub, PROJECT_A, ["read"]);
    const { ticket } = (await (await fetch(`${hub.url}/api/v1/stream-tickets`, { method: "POST", headers: bearer(token) })).json()) as { ticket: string };
    const byTicket = await RawSse.open(`${hub.url}/api/events?ticket=${encodeURIComponent(ticket)}`);
    const byHeader = await RawSse.open(`${hub.url}/api/events`, bearer(token));
    const unrelated = await RawSse.open(`${hub.url}/api/events`, bearer(other));
    expect([byTicket.status, byHeader.status, unrelated.status]).toEqual([200, 200, 200]);
    await byTicket.waitFor(() => byTicket.named("ready").length > 0);
    const listed = (await (await fetch(`${hub.url}/api/v1/tokens`, { headers: bearer(hub.admin) })).json()) as { tokens: { id: string }[] };
    const revoked = await fetch(`${hub.url}/api/v1/tokens/${listed.tokens[0]!.id}`, { method: "DELETE", headers: bearer(hub.admin) });
    expect(revoked.status).toBe(204);
    for (const stream of [byTicket, byHeader]) {
      const [end] = await stream.waitFor(() => (stream.named("end").length > 0 ? stream.named("end") : undefined));
      const data = sseEndDataCodec.decodeJson(end!.data);
      expect(data.ok && data.value).toMatchObject({ reason: "revoked", code: CLOSE_CODES.unauthenticated });
      await stream.waitFor(() => stream.ended);
    }
    // A stream of another token carries on.
    expect(unrelated.named("end")).toEqual([]);
    expect(unrelated.ended).toBe(false);
    unrelated.close();
    expect((await RawSse.open(`${hub.url}/api/events?ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
  });
});
