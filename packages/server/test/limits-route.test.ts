/** `GET /api/v1/limits` is open to all, but a credential that comes is checked (the SSE client connects with it). */
import { describe, expect, it } from "vitest";
import { projectToken, testHub } from "./helpers/hub.js";

describe("GET /api/v1/limits", () => {
  it("answers without a token, with a good token, and refuses an unknown one with 401", async () => {
    const hub = await testHub({ limits: { max_events_per_batch: 7 } });
    const token = await projectToken(hub, "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", ["write"]);
    const open = await fetch(`${hub.url}/api/v1/limits`);
    expect(open.status).toBe(200);
    expect(((await open.json()) as { max_events_per_batch: number }).max_events_per_batch).toBe(7);
    expect((await fetch(`${hub.url}/api/v1/limits`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const refused = await fetch(`${hub.url}/api/v1/limits`, { headers: { authorization: "Bearer nope" } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: "unauthenticated" } });
    expect((await fetch(`${hub.url}/api/v1/limits?ticket=nope`)).status).toBe(401);
  });
});
