import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testHub } from "./helpers/hub.js";

let site: string;
let outside: string;

beforeAll(() => {
  site = mkdtempSync(join(tmpdir(), "events-dashboard-"));
  outside = mkdtempSync(join(tmpdir(), "events-outside-"));
  writeFileSync(join(site, "index.html"), "<!doctype html><title>dash</title>");
  mkdirSync(join(site, "assets"));
  writeFileSync(join(site, "assets", "app-3f2a.js"), "console.log(1)");
  writeFileSync(join(site, "assets", "app-3f2a.css"), "body{}");
  writeFileSync(join(site, "favicon.svg"), "<svg/>");
  writeFileSync(join(outside, "secret.txt"), "TOP-SECRET-CONTENT");
  symlinkSync(join(outside, "secret.txt"), join(site, "link.txt"));
});

afterAll(() => {
  rmSync(site, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** A raw request, so the path reaches the hub exactly as written (fetch would normalise `..`). */
function raw(url: string, path: string, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.path = path;
    req.end();
  });
}

describe("the dashboard at /", () => {
  it("serves index.html at / and for unknown page paths, revalidated on every load", async () => {
    const { url } = await testHub({ dashboardDir: site });
    for (const path of ["/", "/sessions", "/board/some/deep/path"]) {
      const res = await raw(url, path);
      expect(res.status, path).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.body).toContain("<title>dash</title>");
    }
    const head = await raw(url, "/", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("serves hashed assets with their type and a long immutable cache", async () => {
    const { url } = await testHub({ dashboardDir: site });
    const js = await raw(url, "/assets/app-3f2a.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body).toBe("console.log(1)");
    expect((await raw(url, "/assets/app-3f2a.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    const svg = await raw(url, "/favicon.svg");
    expect(svg.headers["content-type"]).toBe("image/svg+xml");
    expect(svg.headers["cache-control"]).toBe("no-cache");
    // A missing file with an extension is a 404, not the page.
    expect((await raw(url, "/assets/missing.js")).status).toBe(404);
  });

  it("never leaves its directory", async () => {
    const { url } = await testHub({ dashboardDir: site });
    for (const path of ["/../secret.txt", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fetc%2fpasswd", "/link.txt", "/..%5c..%5cetc%5cpasswd", "/%00index.html", "/.hidden"]) {
      const res = await raw(url, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain("TOP-SECRET-CONTENT");
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("never shadows the hub's own routes", async () => {
    const { url } = await testHub({ dashboardDir: site });
    expect(JSON.parse((await raw(url, "/healthz")).body)).toMatchObject({ status: "ok" });
    expect((await raw(url, "/metrics")).headers["content-type"]).toContain("text/plain");
    const unknownApi = await raw(url, "/api/v1/nothing-here");
    expect(unknownApi.status).toBe(404);
    expect(JSON.parse(unknownApi.body)).toMatchObject({ error: { code: "not_found" } });
    expect((await raw(url, "/api/events")).status).toBe(401);
  });

  it("is a 404 ErrorResponse when no dashboard is configured", async () => {
    const { url } = await testHub();
    const res = await raw(url, "/");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "not_found", message: "no route GET /" } });
  });
});
