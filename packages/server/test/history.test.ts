import { describe, expect, it } from "vitest";
import { eventPageCodec, type ErrorResponse } from "@events/schema";
import { events, machineEvent, PROJECT_A, PROJECT_B } from "./helpers/envelopes.js";
import { projectToken, testHub, type TestHub } from "./helpers/hub.js";

interface Page {
  events: { stream: string; seq: number; channel: string; event: { event_id: string; project_uuid: string | null } }[];
  has_more: boolean;
  next: string;
}

/** Every page from `start` on (the newest page when undefined), following `next` in `direction` until has_more is false. */
async function pages(hub: TestHub, direction: "before" | "after", query: string, start?: string): Promise<Page[]> {
  const all: Page[] = [];
  let cursor = start;
  for (;;) {
    const at = cursor === undefined ? "" : `&${direction}=${encodeURIComponent(cursor)}`;
    const response = await page(hub, `?${query}${at}`);
    expect(response.status).toBe(200);
    const body = response.body as Page;
    expect(eventPageCodec.decode(body)).toMatchObject({ ok: true });
    all.push(body);
    if (!body.has_more) return all;
    cursor = body.next;
  }
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
    expect(newest.events[0]).toMatchObject({ stream: PROJECT_A, channel: "events" });
    expect(newest.has_more).toBe(true);
    expect(newest.next).toBe(`${PROJECT_A}:4`);
    const older = (await page(hub, `?before=${newest.next}&limit=10`)).body as Page;
    expect(older.events.map((item) => item.seq)).toEqual([3, 2, 1]);
    expect(older.has_more).toBe(false);
    expect(older.next).toBe(`${PROJECT_A}:1`);
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

  it("pages two streams backwards and forwards with no gap and no duplicate in either, events stored meanwhile kept out of older pages", async () => {
    const hub = await testHub();
    const a = events(23, { project_uuid: PROJECT_A });
    const b = events(17, { project_uuid: PROJECT_B });
    // Interleaved, in several commits, so storage order mixes the streams.
    for (let index = 0; index < 5; index++) await ingest(hub, [...a.slice(index * 5, index * 5 + 5), ...b.slice(index * 4, index * 4 + 4)]);
    const ids = (page: Page[], stream: string) => page.flatMap((item) => item.events).filter((item) => item.stream === stream).map((item) => [item.seq, item.event.event_id]);
    const expected = (batch: typeof a) => batch.map((item, index) => [index + 1, item.event_id]);

    const backwards: Page[] = [(await page(hub, "?limit=6")).body as Page];
    // Stored after the first page: newer than every page that follows, so never in them.
    await ingest(hub, [...events(2, { project_uuid: PROJECT_A }), ...events(2, { project_uuid: PROJECT_B })]);
    backwards.push(...(await pages(hub, "before", "limit=6", backwards[0]!.next)));
    expect(ids(backwards, PROJECT_A)).toEqual(expected(a).reverse());
    expect(ids(backwards, PROJECT_B)).toEqual(expected(b).reverse());
    expect(backwards.at(-1)!.next).toBe(`${PROJECT_B}:1,${PROJECT_A}:1`);

    const forwards = await pages(hub, "after", "limit=7", "");
    expect(ids(forwards, PROJECT_A)).toEqual(expected(a).concat([[24, expect.any(String)], [25, expect.any(String)]]));
    expect(ids(forwards, PROJECT_B)).toEqual(expected(b).concat([[18, expect.any(String)], [19, expect.any(String)]]));
    expect(forwards.at(-1)!.next).toBe(`${PROJECT_B}:19,${PROJECT_A}:25`);
    // From a position: each stream after its own seq.
    const after = (await page(hub, `?after=${PROJECT_A}:20,${PROJECT_B}:19&limit=100`)).body as Page;
    expect(after.events.map((item) => `${item.stream}:${item.seq}`)).toEqual([`${PROJECT_A}:21`, `${PROJECT_A}:22`, `${PROJECT_A}:23`, `${PROJECT_A}:24`, `${PROJECT_A}:25`]);
    expect(after).toMatchObject({ has_more: false, next: `${PROJECT_B}:19,${PROJECT_A}:25` });
  });

  it("refuses both cursors at once, protocol-1 seqs and malformed tokens with a 400 naming the parameter", async () => {
    const hub = await testHub();
    const refusal = async (query: string) => {
      const response = await page(hub, query);
      expect(response.status).toBe(400);
      return (response.body as ErrorResponse).error;
    };
    expect((await refusal(`?before=${PROJECT_A}:3&after=${PROJECT_A}:1`)).message).toMatch(/^before and after: send one of them/);
    const legacy = await refusal("?before=42");
    expect(legacy).toMatchObject({ code: "bad_request", issues: [{ path: "/before", received: '"42"' }] });
    expect(legacy.message).toContain("protocol-1 seqs are not history cursors");
    expect(await refusal(`?after=${PROJECT_A}:1,${PROJECT_A}:2`)).toMatchObject({ issues: [{ path: "/after" }] });
    expect(await refusal("?after=nope:1")).toMatchObject({ issues: [{ path: "/after" }] });
  });
});
