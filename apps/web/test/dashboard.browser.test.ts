/**
 * The dashboard in a real browser (Debian's Chromium, headless), against real hubs
 * and the real SDK: live delivery without a reload, resume across a killed hub
 * with nothing lost or doubled, and the board, sessions and problems views
 * reacting to events. Screenshots of each view go to test-artifacts/.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { emitter, freePort, hubProcess, inProcessHub, openDashboard, readToken, screenshot, tempDir, useBrowser } from "./browser/harness.js";

const { skip, browser } = useBrowser();

/** How many rows of the activity log show this event. */
function rows(page: Page, eventId: string): Promise<number> {
  return page.locator(`tr[data-event-id="${eventId}"]`).count();
}

function mustEmit<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`emit failed: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

describe.skipIf(skip !== undefined)("the dashboard in Chromium", () => {
  it("shows an event emitted by the SDK within one second, without a reload", async () => {
    const hub = await inProcessHub();
    const page = await openDashboard(browser(), hub.url, await readToken(hub.url));
    const sdk = emitter(hub.url);
    // The first emit also opens the SDK's own connection to the hub; it is not what is timed.
    const warm = mustEmit(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "warming up", level: "debug" } }));
    await page.locator(`tr[data-event-id="${warm.event.event_id}"]`).waitFor({ timeout: 15_000 });
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    const sent = mustEmit(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "hello from the SDK", level: "success" } }));
    await page.locator(`tr[data-event-id="${sent.event.event_id}"]`).waitFor({ timeout: 1_000 });

    expect(navigations).toEqual([]);
    const first = page.locator("table.activity tbody tr").first();
    expect(await first.getAttribute("data-event-id")).toBe(sent.event.event_id);
    await expect(first.textContent()).resolves.toContain("hello from the SDK");
    await screenshot(page, "activity");
  });

  it("reconnects by itself after the hub is killed and restarted, and shows what was emitted meanwhile, once each", async () => {
    const port = await freePort();
    const dataDir = tempDir("events-web-restart-");
    const hub = await hubProcess(port, dataDir);
    const token = await readToken(hub.url);
    const page = await openDashboard(browser(), hub.url, token);
    const sdk = emitter(hub.url);
    const before = mustEmit(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "before the crash" } }));
    await page.locator(`tr[data-event-id="${before.event.event_id}"]`).waitFor({ timeout: 15_000 });

    await hub.kill("SIGKILL");
    await page.locator('[data-status="reconnecting"], [data-status="connecting"]').first().waitFor({ timeout: 15_000 });
    // Emitted while the hub is down: durable in the SDK's outbox, delivered after the restart.
    const meanwhile = [1, 2, 3].map((n) => mustEmit(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: `while down ${n}` } })));

    await hubProcess(port, dataDir); // same port, same store; stopped by the cleanup
    await sdk.syncNow();
    const after = mustEmit(sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: "after the restart" } }));
    await page.locator('[data-status="live"]').waitFor({ timeout: 20_000 });
    for (const { event } of [...meanwhile, after]) await page.locator(`tr[data-event-id="${event.event_id}"]`).waitFor({ timeout: 15_000 });

    for (const { event } of [before, ...meanwhile, after]) expect(await rows(page, event.event_id), event.event_id).toBe(1);
    const ids = await page.locator("table.activity tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-event-id")));
    expect(new Set(ids).size).toBe(ids.length);
    await screenshot(page, "activity-after-restart");
  });

  it("moves a card to its lane, advances a session's progress bar and highlights a problems delta", async () => {
    const hub = await inProcessHub();
    const page = await openDashboard(browser(), hub.url, await readToken(hub.url));
    const sdk = emitter(hub.url);

    // Work packages
    await page.getByRole("link", { name: "Work packages" }).click();
    mustEmit(sdk.emitWpCreated({ wp_id: "WP01", title: "Sign-in page", feature_slug: "001-login", dependencies: [] }));
    mustEmit(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: null, to_lane: "planned", feature_slug: "001-login" }));
    mustEmit(sdk.emitWpStatusChanged({ wp_id: "WP02", from_lane: null, to_lane: "planned", feature_slug: "001-login" }));
    const card = (lane: string, wp: string) => page.locator(`section[data-lane="${lane}"] li[data-wp="${wp}"]`);
    await card("planned", "WP01").waitFor({ timeout: 10_000 });
    mustEmit(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed", feature_slug: "001-login" }));
    await card("claimed", "WP01").waitFor({ timeout: 10_000 });
    mustEmit(sdk.emitWpStatusChanged({ wp_id: "WP01", from_lane: "claimed", to_lane: "doing", feature_slug: "001-login", actor: "agent-7" }));
    await card("in_progress", "WP01").waitFor({ timeout: 10_000 });
    expect(await card("planned", "WP01").count()).toBe(0);
    expect(await card("claimed", "WP01").count()).toBe(0);
    // An illegal move is not applied; it is shown as an anomaly.
    mustEmit(sdk.emitWpStatusChanged({ wp_id: "WP02", from_lane: "planned", to_lane: "done", feature_slug: "001-login" }));
    await page.locator('.anomalies li[data-kind="illegal_transition"]').waitFor({ timeout: 10_000 });
    expect(await card("planned", "WP02").count()).toBe(1);
    await screenshot(page, "board");

    // Sessions
    await page.getByRole("link", { name: "Sessions" }).click();
    const run = sdk.session("run-42");
    mustEmit(run.phase("fetch"));
    mustEmit(run.progress("fetch", 1, 4));
    const bar = page.locator('article[data-session="run-42"] [role="progressbar"]');
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 10_000 }).toBe("1");
    mustEmit(run.progress("fetch", 3, 4));
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 10_000 }).toBe("3");
    mustEmit(run.inputRequired({ fields: [{ name: "branch" }], reason: "which branch should be deployed?" }));
    await page.locator('article[data-session="run-42"][data-status="input_required"] .input-required').waitFor({ timeout: 10_000 });
    await screenshot(page, "sessions-input-required");
    mustEmit(run.phase("deploy"));
    mustEmit(run.progress("deploy", 4, 4));
    mustEmit(run.done({ deployed: "main" }));
    await page.locator('article[data-session="run-42"][data-status="done"]').waitFor({ timeout: 10_000 });
    expect(await bar.getAttribute("aria-valuenow")).toBe("4");
    const failing = sdk.session("run-43");
    mustEmit(failing.phase("build"));
    mustEmit(failing.failed("build", { code: "E_COMPILE", message: "tsc found 3 errors" }));
    await page.locator('article[data-session="run-43"][data-status="failed"]').waitFor({ timeout: 10_000 });
    await screenshot(page, "sessions");

    // Problems
    await page.getByRole("link", { name: "Problems" }).click();
    const finding = (rule: string, path: string, message: string) => ({ rule, offending_path: path, message, severity: "error" as const });
    mustEmit(sdk.publishProblems([finding("no-any", "src/a.ts", "3 uses of any"), finding("max-lines", "src/b.ts", "412 lines"), finding("no-todo", "src/c.ts", "TODO left")]));
    await page.locator('tr[data-rule="no-todo"]').waitFor({ timeout: 10_000 });
    mustEmit(sdk.publishProblems([finding("no-any", "src/a.ts", "5 uses of any"), finding("max-lines", "src/b.ts", "412 lines"), finding("no-console", "src/d.ts", "console.log")]));
    await page.locator('tr[data-rule="no-console"][data-change="added"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('tr[data-rule="no-any"]').getAttribute("data-change")).toBe("changed");
    expect(await page.locator('tr[data-rule="no-todo"]').getAttribute("data-change")).toBe("removed");
    expect(await page.locator('tr[data-rule="max-lines"]').getAttribute("data-change")).toBe("none");
    await expect(page.locator("tr.row-added").evaluate((tr) => getComputedStyle(tr).backgroundColor)).resolves.not.toBe("rgba(0, 0, 0, 0)");
    await screenshot(page, "problems");

    await page.getByRole("link", { name: "Activity log" }).click();
    await screenshot(page, "activity-all-kinds");
  });

  it("asks for a token again when the hub refuses it, and keeps a good one across reloads", async () => {
    const hub = await inProcessHub();
    const context = await browser().newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${hub.url}/`);
      await page.getByRole("heading", { name: "Connect to this hub" }).waitFor();
      await screenshot(page, "token");
      await page.getByLabel("Read token").fill("not-a-real-token");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Token refused" }).waitFor({ timeout: 10_000 });
      await page.getByLabel("Read token").fill(await readToken(hub.url));
      await page.keyboard.press("Enter");
      await page.locator('[data-status="live"]').waitFor({ timeout: 10_000 });
      await page.reload();
      await page.locator('[data-status="live"]').waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Change token" }).click();
      await page.getByRole("heading", { name: "Connect to this hub" }).waitFor();
    } finally {
      await context.close();
    }
  });
});
