/**
 * `GET /`: the dashboard's built files (apps/web), when `dashboardDir` is set.
 * `index.html` answers `/` and every unknown non-API path (the page routes on the
 * client), never `/api/*`, `/healthz` or `/metrics`. Hashed assets under
 * `assets/` are cached for a year; `index.html` is revalidated on every load, so a
 * new build shows at the next reload. A path that leaves the directory (`..`,
 * encoded or not, a symlink out) is a 404. Without a dashboard every such path is
 * the usual 404 ErrorResponse (no route is added).
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorBody } from "./http-errors.js";
import { pathOf } from "./http-auth.js";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Paths that belong to the hub, never to the page. */
const RESERVED = /^\/(api|healthz|metrics)(\/|$)/;
const IMMUTABLE = "public, max-age=31536000, immutable";

interface Found {
  readonly file: string;
  readonly size: number;
  readonly mtime: Date;
}

export function dashboardRoutes(app: FastifyInstance, dashboardDir: string | undefined): void {
  if (dashboardDir === undefined) return;
  const root = realpath(dashboardDir).catch(() => undefined);
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const path = pathOf(request.url);
    const dir = await root;
    if (dir === undefined || RESERVED.test(path)) return notFound(request, reply);
    const relative = safeRelative(path);
    if (relative === undefined) return notFound(request, reply);
    const asset = relative === "" ? undefined : await find(dir, relative);
    // Only extension-less paths fall back to the page: a missing script is a 404, not HTML.
    const file = asset ?? (relative === "" || extname(relative) === "" ? await find(dir, "index.html") : undefined);
    if (file === undefined) return notFound(request, reply);
    const type = CONTENT_TYPES[extname(file.file).toLowerCase()] ?? "application/octet-stream";
    void reply
      .header("content-type", type)
      .header("content-length", file.size)
      .header("last-modified", file.mtime.toUTCString())
      .header("x-content-type-options", "nosniff")
      .header("cache-control", asset !== undefined && relative.startsWith("assets/") ? IMMUTABLE : "no-cache");
    return reply.send(createReadStream(file.file));
  };
  // Fastify answers HEAD from these GET routes, without the body.
  app.get("/", handler);
  app.get("/*", handler);
}

/** The request path as a relative file path, or undefined when it is not one we serve. */
function safeRelative(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const parts = decoded.split("/").filter((part) => part !== "");
  if (parts.some((part) => part === ".." || part === "." || part.startsWith("."))) return undefined;
  return parts.join("/");
}

/** A regular file inside `dir` (after resolving symlinks), or undefined. */
async function find(dir: string, relative: string): Promise<Found | undefined> {
  try {
    const file = await realpath(join(dir, relative));
    if (!file.startsWith(dir + sep)) return undefined;
    const info = await stat(file);
    return info.isFile() ? { file, size: info.size, mtime: info.mtime } : undefined;
  } catch {
    return undefined;
  }
}

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody("not_found", `no route ${request.method} ${pathOf(request.url)}`));
}
