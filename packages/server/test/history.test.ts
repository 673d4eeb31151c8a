import { describe, expect, it } from "vitest";
import { eventPageCodec } from "@events/schema";
import { events, machineEvent, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";

interface Page {
  events: { seq: number; channel: string; event: { event_id: string; project_uuid: string | null } }[];
  has_more: boolean;
}

async function ingest(hub: TestHub, batch: unknown[]): Promise<void> {
  const response = await fetch(`${hub.url}/api/v1/events/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${hub.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ events: batch }),
  });
  expect(response.status).toBe(200);
}

async function page(hub: TestHub, query: string, token = hub.admin): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${hub.url}/api/v1/events${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

describe("history read backwards (GET /api/v1/events)", () => {
  it("pages newest first before a seq, and says when there is more", async () => {
    const hub = await testHub();
    const stored = events(5, { project_uuid: PROJECT_A });
    await ingest(hub, stored);
    const newest = (await page(hub, "?limit=2")).body as Page;
    expect(newest.events.map((item) => item.seq)).toEqual([5, 4]);
    expect(newest.events[0]?.event.event_id).toBe(stored[4]!.event_id);
    expect(newest.events[0]?.channel).toBe("events");
    expect(newest.has_more).toBe(true);
    const older = (await page(hub, "?before=4&limit=10")).body as Page;
    expect(older.events.map((item) => item.seq)).toEqual([3, 2, 1]);
    expect(older.has_more).toBe(false);
    // Every page is the EventPage of @events/schema.
    expect(eventPageCodec.decode(newest)).toMatchObject({ ok: true });
    expect(eventPageCodec.decode(older)).toMatchObject({ ok: true });
  });

  it("filters by channel and confines a project token to its project", async () => {
    const hub = await testHub();
    await ingest(hub, [...events(2, { project_uuid: PROJECT_A }), ...events(1, { project_uuid: PROJECT_B }), machineEvent("ui")]);
    const machines = (await page(hub, "?channel=machine:*")).body as Page;
    expect(machines.events.map((item) => item.channel)).toEqual(["machine:ui"]);
    const token = await projectToken(hub, PROJECT_A, ["read"]);
    const own = (await page(hub, "", token)).body as Page;
    expect(own.events.map((item) => item.event.project_uuid)).toEqual([PROJECT_A, PROJECT_A]);
    expect((await page(hub, `?project=${PROJECT_B}`, token)).status).toBe(403);
    expect((await page(hub, "", "nope")).status).toBe(401);
    expect((await page(hub, "?limit=0")).status).toBe(400);
    expect((await page(hub, "?before=x")).status).toBe(400);
  });
});
