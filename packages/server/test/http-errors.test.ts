/**
 * Every HTTP answer that is not a success is an ErrorResponse, the framework's own
 * included: unknown routes (404), known paths with another method (405 with Allow),
 * over-long path segments (414), bodies of a type no route takes (415), bodies over
 * the limit (413), URLs that do not decode, and what Node's parser refuses (431).
 */
import { describe, expect, it } from "vitest";
import { errorResponseCodec } from "@events/schema";
import { testHub } from "./helpers/hub.js";

describe("every error answer in the ErrorResponse shape", () => {
  it.each([
    ["an unknown route", "GET", "/api/v1/nope", {}, 404, "not_found", /no route GET \/api\/v1\/nope/],
    ["a known path with another method", "PUT", "/healthz", {}, 405, "method_not_allowed", /PUT is not allowed on \/healthz; use GET or HEAD/],
    ["a path segment over 100 characters", "DELETE", `/api/v1/tokens/${"a".repeat(500)}`, {}, 414, "bad_request", /path segment is too long \(at most 100/],
    ["a body of a type no route takes", "POST", "/api/v1/tokens", { "content-type": "application/xml", body: "<x/>" }, 415, "unsupported_media_type", /application\/xml is not taken here; send application\/json/],
    ["a body over the limit", "POST", "/api/v1/tokens", { "content-type": "application/json", body: JSON.stringify({ project: "x".repeat(1_100_000) }) }, 413, "batch_too_large", /too large/],
    ["a URL that does not decode", "DELETE", "/api/v1/tokens/%E0%A4%A", {}, 400, "bad_request", /cannot be read/],
    ["a URL over the hub's header limit (80 KiB)", "GET", `/api/v1/${"x".repeat(100_000)}`, {}, 431, "bad_request", /too large/],
    ["a history channel with a control character", "GET", "/api/v1/events?channel=%00", {}, 400, "unknown_channel", /unknown channel/],
  ] as const)("%s", async (_name, method, path, extra, status, code, message) => {
    const hub = await testHub();
    const { body, ...headers } = extra as { body?: string; "content-type"?: string };
    const response = await fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${hub.admin}`, ...headers }, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const decoded = errorResponseCodec.decode(await response.json());
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.value.error.code).toBe(code);
      expect(decoded.value.error.message).toMatch(message);
    }
    if (status === 405) expect(response.headers.get("allow")).toBe("GET, HEAD");
  });
});
