/**
 * What the browser tests stand on: Debian's Chromium driven by playwright-core
 * (never a downloaded browser), the built dashboard, hubs in this process or as a
 * child process that can be SIGKILLed and started again on the same port and
 * store, and an SDK emitter that delivers to them. Everything lives in temp dirs
 * removed after each test.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startHub, type Hub } from "@events/server";
import { freePort, spawnHub, type HubProcess } from "@events/server/testing";
import { createEmitter, type Emitter } from "@events/sdk";

export const ADMIN = "browser-test-admin-token-0123456789";
export const PROJECT = { uuid: "5d7e1c3a-9b2f-4e6d-8a1c-3f5b7d9e1a2c", slug: "dashboard-demo" };
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const WEB_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DASHBOARD_DIR = join(WEB_ROOT, "dist");

/** Why the browser tests cannot run here, or undefined when they can. Under CI a missing Chromium fails instead. */
export function missingBrowser(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env["CI"] === "true" || process.env["CI"] === "1") throw new Error(message);
  console.warn(`skipping the dashboard's browser tests: ${message}`);
  return message;
}

/**
 * One Chromium for a test file: the page built and the browser launched before the
 * file's tests, closed after. `skip` says why there is none (outside CI only).
 */
export function useBrowser(): { skip: string | undefined; browser: () => Browser } {
  const skip = missingBrowser();
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (skip !== undefined) return;
    ensureBuilt();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    skip,
    browser: () => {
      if (browser === undefined) throw new Error("the browser is launched in beforeAll");
      return browser;
    },
  };
}

/** The dashboard's build (turbo builds it before the tests; this covers a bare `vitest run`). */
export function ensureBuilt(): void {
  if (existsSync(join(DASHBOARD_DIR, "index.html"))) return;
  execFileSync(process.execPath, [join(WEB_ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], { cwd: WEB_ROOT, stdio: "inherit" });
}

export { freePort, type HubProcess };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return browser;
}

export async function inProcessHub(): Promise<Hub> {
  const hub = await startHub({
    host: "127.0.0.1",
    port: 0,
    dataDir: join(tempDir("events-web-hub-"), "data"),
    socketPath: false,
    logger: "silent",
    adminToken: ADMIN,
    dashboardDir: DASHBOARD_DIR,
  });
  cleanups.push(() => hub.close());
  return hub;
}


/** The hub as its own process (from source), on `port`, its store in `dataDir`. */
export async function hubProcess(port: number, dataDir: string): Promise<HubProcess> {
  const hub = await spawnHub({
    args: ["--port", String(port), "--data-dir", dataDir, "--no-socket", "--dashboard-dir", DASHBOARD_DIR],
    env: { EVENTS_ADMIN_TOKEN: ADMIN },
  });
  cleanups.push(() => hub.kill());
  return hub;
}

/** An SDK emitter for PROJECT that syncs to `url` with the admin token. */
export function emitter(url: string): Emitter {
  const home = tempDir("events-web-sdk-");
  const emitter = createEmitter({ home, project: PROJECT, serverUrl: url, token: ADMIN, exitHook: false, nodeId: "test-node-01" });
  cleanups.push(async () => void (await emitter.close()));
  return emitter;
}

/** A project token (read only) for PROJECT. */
export async function readToken(url: string): Promise<string> {
  return (await createReadToken(url)).token;
}

/** A project token (read only) for PROJECT, with its id (to revoke it). */
export async function createReadToken(url: string): Promise<{ id: string; token: string }> {
  const response = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ project: PROJECT.uuid, scopes: ["read"], label: "dashboard test" }),
  });
  if (response.status !== 201) throw new Error(`token: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; token: string };
}

export async function revokeToken(url: string, id: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/tokens/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
  if (response.status !== 204) throw new Error(`revoke: HTTP ${response.status} ${await response.text()}`);
}

/** A page in a fresh context (closed after the test), light, with reduced motion unless told otherwise. */
export async function newPage(browser: Browser, options: { reducedMotion?: "reduce" | "no-preference" } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: "light", reducedMotion: options.reducedMotion ?? "reduce" });
  cleanups.push(() => context.close());
  return context.newPage();
}

/** Opens the dashboard, signs in with `token` through its form, and waits until it is live. */
export async function openDashboard(browser: Browser, url: string, token: string): Promise<Page> {
  return signIn(await newPage(browser), url, token);
}

/** Signs in on `page` (routes may already be set on it) and waits until it is live. */
export async function signIn(page: Page, url: string, token: string): Promise<Page> {
  await page.goto(`${url}/`);
  await page.getByLabel("Read token").fill(token);
  await page.getByRole("button", { name: "Connect" }).click();
  await page.locator('[data-status="live"]').waitFor();
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}
