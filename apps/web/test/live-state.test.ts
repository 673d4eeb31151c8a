import { ClientError, type StateChange } from "@events/client";
import { describe, expect, it } from "vitest";
import { fromAttempt, fromClientState, fromRefusal, fromSubscribed } from "../src/net/live-state.js";

function change(partial: Pick<StateChange, "state" | "reason"> & Partial<StateChange>): StateChange {
  return { previous: "connected", message: "", ...partial };
}

describe("the live stream's states in the page's words", () => {
  it("is connecting until the hub answers the subscribe, then live", () => {
    expect(fromClientState(change({ state: "connecting", reason: "connect", previous: "disconnected" }), 0)).toEqual({ status: "connecting", reason: "connecting" });
    expect(fromClientState(change({ state: "connected", reason: "connected" }), 0)).toEqual({ status: "connecting", reason: "subscribing" });
    expect(fromSubscribed()).toEqual({ status: "live", reason: "live" });
  });

  it("reconnects after a drop, saying why and when the next attempt starts", () => {
    const now = 1_000_000;
    expect(fromClientState(change({ state: "connecting", reason: "transport_closed", code: 1006, message: "closed with 1006", delayMs: 300 }), now)).toEqual({
      status: "reconnecting",
      reason: "connection lost (1006)",
      retryAt: now + 300,
    });
    expect(fromClientState(change({ state: "connecting", reason: "hub_going_away", code: 1001, delayMs: 0 }), now)).toMatchObject({ status: "reconnecting", reason: "the hub is restarting", retryAt: now });
    expect(fromClientState(change({ state: "connecting", reason: "no_heartbeat", code: 4408, delayMs: 5 }), now).status).toBe("reconnecting");
    expect(fromClientState(change({ state: "connecting", reason: "slow_consumer", code: 4429, delayMs: 5 }), now).status).toBe("reconnecting");
    expect(fromAttempt(1, "websocket")).toBeUndefined();
    expect(fromAttempt(3, "sse")).toEqual({ status: "connecting", reason: "attempt 3 (Server-Sent Events)" });
  });

  it("stops for a refused token, a forbidden project (of the connection or of the subscription) and another protocol", () => {
    expect(fromClientState(change({ state: "disconnected", reason: "unauthorized", code: 4401, message: "the token is unknown or was revoked" }), 0)).toEqual({
      status: "unauthorized",
      reason: "the token is unknown or was revoked",
    });
    expect(fromClientState(change({ state: "disconnected", reason: "forbidden", code: 4403, message: "not this project" }), 0)).toEqual({ status: "forbidden", reason: "not this project" });
    expect(fromRefusal(new ClientError("forbidden", "this token may not read project x"))).toEqual({ status: "forbidden", reason: "this token may not read project x" });
    expect(fromRefusal(new ClientError("unknown_channel", "no such channel"))).toEqual({ status: "stopped", reason: "the hub refused the stream (unknown_channel): no such channel" });
    expect(fromClientState(change({ state: "disconnected", reason: "bad_protocol", code: 1002, message: "protocol 2 only" }), 0)).toEqual({
      status: "stopped",
      reason: "the hub speaks another protocol: protocol 2 only",
    });
    expect(fromClientState(change({ state: "disconnected", reason: "disconnect" }), 0).status).toBe("stopped");
  });
});
