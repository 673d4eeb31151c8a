/**
 * @events/client's refusals and closes as SyncError classes: what sync does next
 * (retry, halve a batch, wait for new credentials) depends on the class and status.
 */
import { ClientError, type StateChange } from "@events/client";
import { describe, expect, it } from "vitest";
import { closeError, fromClientError } from "../src/sync/client-errors.js";
import { SyncError } from "../src/sync/sync-error.js";

describe("a refused publish", () => {
  it.each([
    ["unauthenticated", "auth", undefined],
    ["forbidden", "auth", undefined],
    ["batch_too_large", "schema", 413],
    ["frame_too_large", "schema", 413],
    ["storage_full", "server", undefined],
    ["rate_limited", "server", undefined],
    ["bad_frame", "server", undefined],
    ["transport_closed", "network", undefined],
    ["timeout", "network", undefined],
    ["disconnected", "network", undefined],
  ] as const)("%s is %s", (code, errorClass, status) => {
    const error = fromClientError(new ClientError(code, "words"));
    expect(error).toBeInstanceOf(SyncError);
    expect([error.errorClass, error.status]).toEqual([errorClass, status]);
  });

  it("says what the hub said, and anything else is a network error", () => {
    expect(fromClientError(new ClientError("storage_full", "no space; try again later")).message).toBe("the hub said storage_full: no space; try again later");
    expect(fromClientError(new Error("socket hang up"))).toMatchObject({ errorClass: "network", message: "socket hang up" });
  });
});

describe("a connection that ended or never opened", () => {
  const change = (reason: StateChange["reason"], code: number, message = ""): StateChange => ({ state: "connecting", previous: "connected", reason, code, message });

  it.each([
    ["unauthorized", 4401, "auth"],
    ["forbidden", 4403, "auth"],
    ["bad_protocol", 1002, "server"],
    ["transport_closed", 1006, "network"],
    ["transport_closed", 1011, "server"],
    ["transport_closed", 1009, "schema"],
    ["hub_going_away", 1001, "network"],
    ["no_heartbeat", 4408, "network"],
    ["slow_consumer", 4429, "network"],
  ] as const)("%s (%i) is %s", (reason, code, errorClass) => {
    expect(closeError(change(reason, code)).errorClass).toBe(errorClass);
  });

  it("keeps the close code as the status (1009 as 413, which halves the batch) and the hub's words", () => {
    expect(closeError(change("transport_closed", 1006, "closed with 1006"))).toMatchObject({ status: 1006, message: "connection closed (1006)" });
    expect(closeError(change("transport_closed", 1009, "too big")).status).toBe(413);
    expect(closeError(change("unauthorized", 4401, "token revoked")).message).toBe("connection closed (4401: token revoked)");
  });
});
