/**
 * The dashboard from the keyboard, in Chromium: a skip link first, every view's
 * tab reachable and operable with Enter, the focus always visible, older events
 * loaded with the keyboard while the focus stays on the button, landmarks and
 * headings in place, a live region that sums up bursts instead of reading every
 * row, and motion only for those who have not asked for less.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Emitter } from "@events/sdk";
import { emitter, inProcessHub, newPage, openDashboard, readToken, screenshot, signIn, useBrowser } from "./browser/harness.js";

const { skip, browser } = useBrowser();

async function emitMany(sdk: Emitter, count: number, prefix: string): Promise<void> {
  for (let n = 1; n <= count; n++) {
    const result = sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: `${prefix} ${n}`, level: n % 10 === 0 ? "error" : "info" } });
    if (!result.ok) throw new Error(JSON.stringify(result));
  }
  await sdk.syncNow();
}

/** What has the focus: its role-ish tag and its text or label. */
function focused(page: Page): Promise<{ tag: string; text: string; outline: string }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    const style = element === null ? undefined : getComputedStyle(element);
    return {
      tag: element?.tagName.toLowerCase() ?? "",
      text: (element?.getAttribute("aria-label") ?? element?.textContent ?? "").trim().replace(/\s+/g, " "),
      outline: style === undefined ? "" : `${style.outlineStyle} ${style.outlineWidth}`,
    };
  });
}

/** Presses Tab until `match` has the focus (at most `limit` times). */
async function tabTo(page: Page, match: (text: string) => boolean, limit = 30): Promise<void> {
  for (let n = 0; n < limit; n++) {
    await page.keyboard.press("Tab");
    if (match((await focused(page)).text)) return;
  }
  throw new Error(`no focusable element matched after ${limit} tabs; last: ${JSON.stringify(await focused(page))}`);
}

describe.skipIf(skip !== undefined)("the dashboard from the keyboard", () => {
  it("skips to the view, walks the tabs with the focus visible, and loads older events with Enter", async () => {
    const hub = await inProcessHub();
    const sdk = emitter(hub.url);
    await emitMany(sdk, 450, "old");
    const page = await openDashboard(browser(), hub.url, await readToken(hub.url));
    const rows = page.locator("table.activity tbody tr");
    await expect.poll(() => rows.count()).toBe(200);

    // Landmarks and headings.
    expect(await page.getByRole("banner").count()).toBe(1);
    expect(await page.getByRole("navigation", { name: "Views" }).count()).toBe(1);
    expect(await page.getByRole("main").count()).toBe(1);
    expect(await page.getByRole("heading", { level: 1 }).count()).toBe(1);
    expect(await page.getByRole("heading", { level: 2, name: "Activity log" }).count()).toBe(1);

    // The skip link first, the header in order, then the views' tabs; each focused element shows a ring.
    const order: string[] = [];
    for (let n = 0; n < 8; n++) {
      await page.keyboard.press("Tab");
      const now = await focused(page);
      order.push(now.text.startsWith("All projects") || now.text.startsWith("This token") ? "Project" : now.text);
      expect(now.outline, now.text).toMatch(/^(solid|auto) [2-9]/);
    }
    expect(order).toEqual(["Skip to the view", "Project", "Change token", "Activity log", "Work packages", "Sessions", "Problems", "Level"].map((name, index) => (index === 7 ? order[7]! : name)));
    expect(order[7]).toMatch(/^(Level|all)/);

    // The skip link shows itself when focused and moves the focus to the view.
    const skipLink = page.getByRole("link", { name: "Skip to the view" });
    await skipLink.focus();
    expect(await skipLink.evaluate((link) => link.getBoundingClientRect().top >= 0)).toBe(true);
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("view");

    // Enter on a tab opens its view.
    await page.getByRole("link", { name: "Work packages" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 2, name: "Work packages" }).waitFor();
    expect(await page.getByRole("link", { name: "Work packages" }).getAttribute("aria-current")).toBe("page");
    await page.getByRole("link", { name: "Activity log" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 2, name: "Activity log" }).waitFor();

    // Older events from history, with the keyboard; the focus stays on the button.
    await tabTo(page, (text) => text === "Load older events", 60);
    await page.keyboard.press("Enter");
    await expect.poll(() => rows.count()).toBe(400);
    expect((await focused(page)).text).toBe("Load older events");
    await page.keyboard.press("Enter");
    await expect.poll(() => rows.count()).toBe(450);
    expect(await page.getByRole("button", { name: "Load older events" }).count()).toBe(0);
    // One project's events: one stream, so its seqs run down the list without a hole or a repeat.
    const positions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-position") ?? ""));
    const seqs = positions.map((position) => Number(position.slice(position.lastIndexOf(":") + 1)));
    expect(new Set(positions.map((position) => position.slice(0, position.lastIndexOf(":")))).size).toBe(1);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(seqs[0]! - seqs.at(-1)!).toBe(449);
    expect(new Set(seqs).size).toBe(450);

    // The level filter, chosen from the keyboard.
    await page.getByLabel("Level").focus();
    await page.getByLabel("Level").selectOption("error");
    await expect.poll(() => rows.count()).toBe(45);
    await screenshot(page, "activity-filtered");
  });

  it("sums up a burst of events in its live region instead of reading each one", async () => {
    const hub = await inProcessHub();
    const sdk = emitter(hub.url);
    const page = await openDashboard(browser(), hub.url, await readToken(hub.url));
    const region = page.getByTestId("new-events");
    expect(await region.getAttribute("aria-live")).toBe("polite");
    // The count line changes with every event: it must not be a live region.
    expect(await page.locator(".count").getAttribute("aria-live")).toBeNull();
    await page.evaluate(() => {
      const target = document.querySelector('[data-testid="new-events"]')!;
      (window as unknown as { announcements: string[] }).announcements = [];
      new MutationObserver(() => (window as unknown as { announcements: string[] }).announcements.push(target.textContent ?? "")).observe(target, { childList: true, characterData: true, subtree: true });
    });
    await emitMany(sdk, 30, "burst");
    await page.locator("table.activity tbody tr").nth(29).waitFor({ timeout: 10_000 });
    await expect.poll(() => region.textContent(), { timeout: 10_000 }).toMatch(/new events?; newest:/);
    // What a screen reader would read: each non-empty text the region took.
    const announcements = (await page.evaluate(() => (window as unknown as { announcements: string[] }).announcements)).filter((text, index, all) => text !== "" && text !== all[index - 1]);
    // One or two summaries (the burst may straddle a flush), never one per event.
    expect(announcements.length).toBeGreaterThan(0);
    expect(announcements.length, JSON.stringify(announcements)).toBeLessThanOrEqual(2);
  });

  it("animates arrivals only without prefers-reduced-motion, and marks progress for assistive technology", async () => {
    const hub = await inProcessHub();
    const sdk = emitter(hub.url);
    const token = await readToken(hub.url);
    const run = sdk.session("a11y-1");
    if (!run.phase("build").ok || !run.progress("build", 2, 8).ok) throw new Error("emit failed");
    await emitMany(sdk, 1, "moving");
    for (const reducedMotion of ["no-preference", "reduce"] as const) {
      const page = await signIn(await newPage(browser(), { reducedMotion }), hub.url, token);
      const row = page.locator("table.activity tbody tr").first();
      await row.waitFor();
      const animation = await row.evaluate((tr) => getComputedStyle(tr).animationName);
      expect(animation, reducedMotion).toBe(reducedMotion === "reduce" ? "none" : "arrive");
      if (reducedMotion === "reduce") {
        await page.getByRole("link", { name: "Sessions" }).click();
        const bar = page.getByRole("progressbar", { name: "build" });
        await bar.waitFor();
        expect(await bar.getAttribute("aria-valuemin")).toBe("0");
        expect(await bar.getAttribute("aria-valuemax")).toBe("8");
        expect(await bar.getAttribute("aria-valuenow")).toBe("2");
        expect(await bar.getAttribute("aria-valuetext")).toBe("2 of 8");
      }
    }
  });
});
