/**
 * The README's two examples, run as written: the Node one with `node` against a real
 * hub, the browser one bundled by esbuild (as a user's bundler would, through the
 * package's `browser` entry) and run in Debian's Chromium on a page at the hub's
 * origin, over WebSocket and, with the page's WebSocket taken away, over SSE.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createClient } from "../src/node.js";
import { envelopes } from "./helpers/envelopes.js";
import { testHub, until } from "./helpers/hub.js";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** The first fenced block of `language` after `heading`. */
function block(heading: string, language: string): string {
  const section = README.slice(README.indexOf(heading));
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(section);
  if (match === null) throw new Error(`no ${language} block after ${heading} in the README`);
  return match[1] as string;
}

async function publish(url: string, token: string, count: number): Promise<void> {
  const publisher = createClient({ url, token });
  publisher.connect();
  await publisher.publish(envelopes(count));
  publisher.disconnect();
}

function browserSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`;
  if (process.env["CI"] === "true" || process.env["CI"] === "1") throw new Error(message);
  console.warn(`skipping the README's browser example: ${message}`);
  return message;
}

describe("the README's examples", () => {
  it("the Node example prints the events as the hub stores them", async () => {
    const hub = await testHub();
    await publish(hub.url, hub.admin, 3);
    // Inside the package, so `@events/client` resolves to this package's build, as it would from node_modules.
    const dir = `${PACKAGE}.readme-run`;
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/tail-${process.pid}.mjs`;
    writeFileSync(file, block("## In Node", "js"));
    const child = spawn(process.execPath, [file], { env: { ...process.env, EVENTS_URL: hub.url, EVENTS_TOKEN: hub.admin }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until(() => stdout.split("\n").length > 3, `the three stored events (stdout: ${stdout}, stderr: ${stderr})`);
      await publish(hub.url, hub.admin, 1);
      await until(() => stdout.split("\n").length > 4, `the live event (stdout: ${stdout})`);
    } finally {
      child.kill();
      rmSync(file, { force: true });
    }
    expect(stdout.trim().split("\n")).toEqual(["-:1 WPAssigned WP09", "-:2 WPAssigned WP09", "-:3 WPAssigned WP09", "-:4 WPAssigned WP09"]);
    expect(stderr).toContain("connecting (connect)");
    expect(stderr).toContain("connected (connected)");
  });

  const skip = browserSkip();
  it.skipIf(skip !== undefined).each(["websocket", "sse"] as const)("the browser example shows the events over %s", async (transport) => {
    const hub = await testHub();
    await publish(hub.url, hub.admin, 2);
    const html = block("## In a browser", "html");
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    const bundled = await build({ stdin: { contents: script, resolveDir: PACKAGE, loader: "js" }, bundle: true, write: false, format: "esm", platform: "browser", logLevel: "silent" });
    const code = bundled.outputFiles[0]?.text as string;
    expect(code).not.toMatch(/from\s*["'](ws|node:[a-z]+)["']/);
    const page = html.replace(/<script type="module">[\s\S]*?<\/script>/, () => `<script type="module">${code}</script>`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      const tab = await browser.newPage();
      if (transport === "sse") await tab.addInitScript(() => delete (globalThis as { WebSocket?: unknown }).WebSocket);
      // The page at the hub's own origin, as a page the hub (or its proxy) serves.
      await tab.route(`${hub.url}/readme-example.html*`, (route) => route.fulfill({ contentType: "text/html", body: page }));
      await tab.goto(`${hub.url}/readme-example.html?token=${encodeURIComponent(hub.admin)}`);
      await tab.waitForFunction(() => document.querySelectorAll("#events li").length === 2, undefined, { timeout: 30_000 });
      await publish(hub.url, hub.admin, 1);
      await tab.waitForFunction(() => document.querySelectorAll("#events li").length === 3, undefined, { timeout: 30_000 });
      expect(await tab.locator("#events li").allTextContents()).toEqual(["-:1 WPAssigned WP09", "-:2 WPAssigned WP09", "-:3 WPAssigned WP09"]);
      expect(await tab.locator("#state").textContent()).toBe("connected (connected)");
    } finally {
      await browser.close();
    }
  });
});
