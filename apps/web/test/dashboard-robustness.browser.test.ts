/**
 * The dashboard against what goes wrong, in Chromium: payload strings with HTML
 * (shown as text, never as elements), very long strings (no horizontal scroll),
 * frames the page cannot read (dropped, counted, the stream goes on), a token
 * revoked while the page is open (the token screen at the next connection), the
 * history endpoint failing (retried, said, recovered), and a store larger than the
 * first page (the page reads one page and the board's history, not the whole store).
 */
import { describe, expect, it } from "vitest";
import type { WebSocketRoute } from "playwright-core";
import { PROJECT, createReadToken, emitter, inProcessHub, newPage, openDashboard, readToken, revokeToken, screenshot, signIn, useBrowser } from "./browser/harness.js";

const { skip, browser } = useBrowser();

function must<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`emit failed: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b id="injected">bold</b>`;

describe.skipIf(skip !== undefined)("the dashboard when things go wrong", () => {
  it("renders HTML in payloads as text and keeps very long strings inside the page", async () => {
    const hub = await inProcessHub();
    const page = await openDashboard(browser(), hub.url, await readToken(hub.url));
    const sdk = emitter(hub.url);
    must(sdk.emitWpCreated({ wp_id: "WP07", title: XSS, feature_slug: "001-xss", dependencies: [] }));
    must(sdk.emitWpStatusChanged({ wp_id: "WP07", from_lane: null, to_lane: "planned", feature_slug: "001-xss", reason: XSS }));
    must(sdk.session("xss-1").inputRequired({ fields: [{ name: "x" }], reason: XSS }));
    const long = must(sdk.sendMachineEvent({ target: "ui", type: "activity_log", source: "w".repeat(256), payload: { message: `${"x".repeat(5_000)} https://example.com/${"a/".repeat(1_000)}` } }));
    const html = must(sdk.sendMachineEvent({ target: "ui", type: "activity_log", source: "<i>src</i>", payload: { message: XSS, level: "error" } }));
    await page.locator(`tr[data-event-id="${html.event.event_id}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`tr[data-event-id="${long.event.event_id}"]`).waitFor({ timeout: 10_000 });

    const noInjection = async (): Promise<void> => {
      expect(await page.locator("#app img, #app script, #app b#injected, #app i").count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    };
    await noInjection();
    expect(await page.locator(`tr[data-event-id="${html.event.event_id}"] td.message`).textContent()).toBe(XSS);
    // Nothing wider than the window.
    await screenshot(page, "activity-long-and-html");
    expect(await page.evaluate(() => [...document.querySelectorAll("#app *")].filter((element) => element.getBoundingClientRect().right > window.innerWidth).map((element) => element.tagName))).toEqual([]);

    await page.getByRole("link", { name: "Work packages" }).click();
    await page.locator('li[data-wp="WP07"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('li[data-wp="WP07"] .card-title').textContent()).toBe(XSS);
    await page.getByRole("link", { name: "Sessions" }).click();
    await page.locator('article[data-session="xss-1"] .input-required').waitFor({ timeout: 10_000 });
    await noInjection();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it("drops frames it cannot read, says so, and keeps streaming", async () => {
    const hub = await inProcessHub();
    const token = await readToken(hub.url);
    const page = await newPage(browser());
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    let toPage: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => ws.send(message));
      toPage = ws;
    });
    await signIn(page, hub.url, token);
    const garbage = [
      "not json",
      "null",
      "[1,2]",
      JSON.stringify({ type: "message", sub: "dashboard", seq: "12", channel: "events", event: {} }),
      JSON.stringify({ type: "message", sub: "dashboard", stream: PROJECT.uuid, seq: 999_999, channel: "events", event: { event_id: "x", event_type: "MachineEvent", payload: null } }),
      JSON.stringify({ type: "message", sub: "dashboard", stream: "not a stream", seq: 999_997, channel: "events", event: {} }),
      JSON.stringify({ type: "message", sub: "dashboard", seq: 999_998, channel: "events" }),
    ];
    for (const frame of garbage) toPage!.send(frame);
    await page.getByRole("alert").filter({ hasText: "could not read" }).waitFor({ timeout: 10_000 });
    const sent = must(emitter(hub.url).sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "after the garbage" } }));
    await page.locator(`tr[data-event-id="${sent.event.event_id}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-status="live"]').count()).toBe(1);
    expect(errors).toEqual([]);
    // The bogus seq 999,999 was not taken as the position: the next real event still shows.
    const next = must(emitter(hub.url).sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "and the next" } }));
    await page.locator(`tr[data-event-id="${next.event.event_id}"]`).waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Dismiss" }).click();
    expect(await page.getByRole("alert").count()).toBe(0);
  });

  it("brings the token screen back when the token is revoked while the page is open", async () => {
    const hub = await inProcessHub();
    const { id, token } = await createReadToken(hub.url);
    const page = await newPage(browser());
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
      ws.connectToServer();
      sockets.push(ws);
    });
    await signIn(page, hub.url, token);
    await revokeToken(hub.url, id);
    // The hub refuses revoked tokens on new connections: drop this one as a network blip would.
    await sockets.at(-1)!.close({ code: 4000, reason: "network blip" });
    await page.getByRole("heading", { name: "Token refused" }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("alert").textContent()).toContain("unknown or was revoked");
    await screenshot(page, "token-revoked");
    await page.getByLabel("Read token").fill(await readToken(hub.url));
    await page.keyboard.press("Enter");
    await page.locator('[data-status="live"]').waitFor({ timeout: 10_000 });
  });

  it("retries the history when the hub answers 5xx, says why, and recovers", async () => {
    const hub = await inProcessHub();
    const sdk = emitter(hub.url);
    for (let n = 1; n <= 230; n++) must(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: `event ${n}` } }));
    await sdk.syncNow();
    const page = await newPage(browser());
    let failures = 2;
    await page.route(/\/api\/v1\/events\?/, async (route) => {
      if (failures-- > 0) return route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: { code: "unavailable", message: "store busy" } }) });
      return route.continue();
    });
    await signIn(page, hub.url, await readToken(hub.url));
    const rows = page.locator("table.activity tbody tr");
    await expect.poll(() => rows.count()).toBe(200);

    failures = 1;
    await page.getByRole("button", { name: "Load older events" }).click();
    await page.getByRole("alert").filter({ hasText: "Older events could not be read: store busy" }).waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(200);
    await page.getByRole("button", { name: "Load older events" }).click();
    await expect.poll(() => rows.count()).toBe(230);
    expect(await page.getByRole("alert").count()).toBe(0);
  });

  it("reads one page and the board's history on a store larger than a page, not the whole store", async () => {
    const hub = await inProcessHub();
    const sdk = emitter(hub.url);
    must(sdk.emitWpCreated({ wp_id: "WP01", title: "Old work", feature_slug: "001-old", dependencies: [] }));
    must(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: null, to_lane: "planned", feature_slug: "001-old" }));
    must(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed", feature_slug: "001-old" }));
    const old = sdk.session("old-run");
    must(old.phase("build"));
    must(old.progress("build", 1, 2));
    for (let n = 1; n <= 600; n++) must(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: `filler ${n}` } }));
    must(old.progress("build", 2, 2));
    await sdk.syncNow();

    const page = await newPage(browser());
    const subscribes: { since?: string }[] = [];
    let messages = 0;
    page.on("websocket", (ws) => {
      ws.on("framesent", ({ payload }) => {
        const frame = JSON.parse(String(payload)) as { type: string; since?: string };
        if (frame.type === "subscribe") subscribes.push(frame);
      });
      ws.on("framereceived", ({ payload }) => {
        if (String(payload).startsWith('{"type":"message"')) messages++;
      });
    });
    await signIn(page, hub.url, await readToken(hub.url));
    // Live only: history up to the hub's `subscribed` position comes from one page, not a replay.
    expect(subscribes[0]).toBeDefined();
    expect(subscribes[0]?.since).toBeUndefined();
    await page.getByRole("link", { name: "Work packages" }).click();
    await page.locator('section[data-lane="claimed"] li[data-wp="WP01"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('li[data-wp="WP01"] .card-title').textContent()).toBe("Old work");
    await page.getByRole("link", { name: "Sessions" }).click();
    const bar = page.getByRole("progressbar", { name: "build" });
    await expect.poll(() => bar.getAttribute("aria-valuenow")).toBe("2");
    expect(await page.locator('article[data-session="old-run"] .timeline li').count()).toBe(1);
    await expect.poll(() => page.locator("[data-backfill]").first().getAttribute("data-backfill")).toBe("done");
    expect(messages).toBe(0);

    // Live still works on top.
    must(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: "claimed", to_lane: "in_progress", feature_slug: "001-old" }));
    await page.getByRole("link", { name: "Work packages" }).click();
    await page.locator('section[data-lane="in_progress"] li[data-wp="WP01"]').waitFor({ timeout: 10_000 });
  });
});
