/**
 * The publish admission rule and the meaning of a failed store, as every transport
 * applies them (core/publish-access.ts): who, which scope, whether the hub takes
 * writes, how many events; `storage_full` or `unavailable` when the store fails.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { DEFAULT_LIMITS } from "@events/schema";
import { ADMIN, type Principal } from "../src/auth/principal.js";
import { ingestFailure, publishAccess, type PublishContext } from "../src/core/publish-access.js";
import { storeFailure } from "../src/store/store-errors.js";
import { HubError } from "../src/errors.js";

const limits = { ...DEFAULT_LIMITS, max_events_per_batch: 5 };
const open: PublishContext = { limits, closing: false };
const writer: Principal = { kind: "project", tokenId: "t1", project: "p1", scopes: new Set(["write"]) };
const reader: Principal = { kind: "project", tokenId: "t2", project: "p1", scopes: new Set(["read"]) };

describe("publishAccess", () => {
  it("admits a writer's batch of up to max_events_per_batch events, and names the writer", () => {
    for (const principal of [ADMIN, writer]) {
      for (const count of [1, 5]) {
        const access = publishAccess(principal, count, open);
        expect(access).toEqual({ ok: true, principal });
        if (access.ok) expectTypeOf(access.principal).toEqualTypeOf<Principal>();
      }
    }
  });

  it("refuses, in this order: no principal, no write scope, a closing hub, too many events", () => {
    const closing = { limits, closing: true };
    expect(publishAccess(undefined, 6, closing)).toMatchObject({ ok: false, code: "unauthenticated" });
    expect(publishAccess(reader, 6, closing)).toEqual({ ok: false, code: "forbidden", message: "this token has no write scope" });
    expect(publishAccess(writer, 6, closing)).toMatchObject({ ok: false, code: "unavailable", message: expect.stringMatching(/shutting down/) as string });
    expect(publishAccess(writer, 6, open)).toEqual({
      ok: false,
      code: "batch_too_large",
      message: "6 events > max_events_per_batch 5; split them and send again (the limits are in welcome and GET /api/v1/limits)",
      limits,
    });
  });

  it("gives the limits with batch_too_large only", () => {
    for (const access of [publishAccess(undefined, 1, open), publishAccess(reader, 1, open), publishAccess(writer, 1, { limits, closing: true })]) {
      expect(access).not.toHaveProperty("limits");
    }
  });
});

describe("ingestFailure", () => {
  const cause = (code: string) => Object.assign(new Error(`driver said ${code}`), { code });

  it("is storage_full for a store without space, naming the frame or batch that was not stored", () => {
    const full = storeFailure(cause("SQLITE_FULL"));
    expect(ingestFailure(full, "frame")).toEqual({
      code: "storage_full",
      message: "the hub's store is full (no space left); nothing of this frame was stored: send it again later (retryable)",
    });
    expect(ingestFailure(full, "batch").message).toContain("nothing of this batch was stored");
  });

  it("is unavailable for any other failure, HubError or not, without the store's own words", () => {
    for (const error of [storeFailure(cause("SQLITE_BUSY")), new HubError("internal", "secret detail"), new Error("secret detail"), "a string"]) {
      expect(ingestFailure(error, "batch")).toEqual({ code: "unavailable", message: "the hub could not store this batch; retry it later" });
    }
  });
});
