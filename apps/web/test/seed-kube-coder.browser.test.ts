/**
 * kube-coder's SSE stream, as its web client reads it (seed: backend SSE
 * /api/events + event broker): a browser's own EventSource, `ready` first, named
 * `task.created` / `task.status` frames whose data is the flat payload
 * (`?data=payload`), an `end` at the lifetime cap after which the browser reconnects
 * by itself, with `Last-Event-ID` (the position token the last id carried), and
 * misses nothing and repeats nothing. The tasks
 * are emitted with the payloads kube-coder's server publishes (`None` fields,
 * `finished_at` from `time.time()`).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startHub } from "@events/server";
import { ADMIN, PROJECT, emitter, newPage, onCleanup, tempDir, useBrowser } from "./browser/harness.js";

const { skip, browser } = useBrowser();

interface Received {
  type: string;
  id: string;
  data: Record<string, unknown>;
}

describe.skipIf(skip !== undefined)("kube-coder's EventSource client against the hub", () => {
  it("gets ready, then named task frames with the flat payload, across the hub's end and the browser's own reconnect", async () => {
    const hub = await startHub({
      host: "127.0.0.1",
      port: 0,
      dataDir: join(tempDir("events-web-kube-"), "data"),
      socketPath: false,
      logger: "silent",
      adminToken: ADMIN,
      // Short enough that the stream ends (and the browser reconnects) within the test.
      sseMaxLifetimeMs: 1_500,
      sseRetryMs: 200,
    });
    onCleanup(() => hub.close());
    const ticket = (await (await fetch(`${hub.url}/api/v1/stream-tickets`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { ticket: string };
    const page = await newPage(browser());
    await page.goto(`${hub.url}/healthz`);
    // kube-coder's client (web/src/api/events.ts): one EventSource, `ready` marks it
    // connected, named events parsed as JSON, `end` marks it disconnected.
    await page.evaluate((url) => {
      const state = { ready: 0, ends: 0, received: [] as Received[] };
      (window as unknown as { kube: typeof state }).kube = state;
      const source = new EventSource(url, { withCredentials: true });
      source.addEventListener("ready", () => state.ready++);
      for (const type of ["task.created", "task.status"]) {
        source.addEventListener(type, (event) => {
          const message = event as MessageEvent<string>;
          state.received.push({ type, id: message.lastEventId, data: JSON.parse(message.data) as Record<string, unknown> });
        });
      }
      source.addEventListener("end", () => state.ends++);
    }, `/api/events?channel=tasks&data=payload&ticket=${encodeURIComponent(ticket.ticket)}`);
    const kube = () => page.evaluate(() => (window as unknown as { kube: { ready: number; ends: number; received: Received[] } }).kube);
    await page.waitForFunction(() => (window as unknown as { kube: { ready: number } }).kube.ready >= 1);

    const sdk = emitter(hub.url);
    const created = { task_id: "t-42", status: "running", name: "fix flaky test", assistant: null, parent_task_id: null } as const;
    expect(sdk.emit("task.created", created).ok).toBe(true);
    await sdk.syncNow();
    await page.waitForFunction(() => (window as unknown as { kube: { received: unknown[] } }).kube.received.length >= 1);
    // The stream reaches its lifetime cap: `end`, then the browser reconnects on its own.
    await page.waitForFunction(() => (window as unknown as { kube: { ready: number; ends: number } }).kube.ready >= 2, undefined, { timeout: 15_000 });
    expect((await kube()).ends).toBeGreaterThanOrEqual(1);
    const finished = { task_id: "t-42", status: "completed", finished_at: 1_781_612_345.678 } as const;
    expect(sdk.emit("task.status", finished).ok).toBe(true);
    expect(sdk.emit("task.status", { task_id: "t-42", status: "waiting-for-input" }).ok).toBe(true);
    await sdk.syncNow();
    await page.waitForFunction(() => (window as unknown as { kube: { received: unknown[] } }).kube.received.length >= 3);

    const { received } = await kube();
    expect(received.map((item) => [item.type, item.data])).toEqual([
      ["task.created", created],
      ["task.status", finished],
      ["task.status", { task_id: "t-42", status: "waiting-for-input" }],
    ]);
    // Each id is the position after the event: one project's events, so `<project>:<seq>`, the seq counting on across the reconnect.
    expect(received.map((item) => item.id)).toEqual([1, 2, 3].map((seq) => `${PROJECT.uuid}:${seq}`));
  });
});
