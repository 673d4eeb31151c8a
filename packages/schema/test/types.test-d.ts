import { describe, expectTypeOf, it } from "vitest";
import type {
  Envelope,
  EnvelopeOf,
  HubFrame,
  PayloadOf,
  SessionFrame,
  Lane,
  SseControlData,
  SseEndData,
  SseEndReason,
  SseEventName,
  SseResetData,
  UnsubscribedFrame,
} from "@events/schema";

describe("static types narrow on the tag", () => {
  it("narrows an envelope's payload by event_type", () => {
    const handle = (event: Envelope) => {
      if (event.event_type === "WPStatusChanged") {
        expectTypeOf(event.payload.wp_id).toEqualTypeOf<string>();
        expectTypeOf(event.payload.to_lane).toEqualTypeOf<Lane | "doing">();
        expectTypeOf(event.aggregate_type).toEqualTypeOf<"WorkPackage">();
      }
      if (event.event_type === "SessionEvent" && event.payload.kind === "progress") {
        expectTypeOf(event.payload.current).toEqualTypeOf<number>();
      }
    };
    expectTypeOf(handle).toBeFunction();
  });

  it("narrows session frames by kind and hub frames by type", () => {
    const frame = {} as SessionFrame;
    if (frame.kind === "failed") expectTypeOf(frame.error).toEqualTypeOf<{ code: string; message: string }>();
    const hub = {} as HubFrame;
    if (hub.type === "ack") expectTypeOf(hub.results[0]!.status).toEqualTypeOf<"accepted" | "duplicate" | "rejected">();
    if (hub.type === "unsubscribed") expectTypeOf(hub).toEqualTypeOf<UnsubscribedFrame>();
  });

  it("types the SSE control events' names and data", () => {
    expectTypeOf<SseEventName>().toEqualTypeOf<"ready" | "reset" | "gap" | "end">();
    expectTypeOf<keyof SseControlData>().toEqualTypeOf<SseEventName>();
    expectTypeOf<SseControlData["end"]>().toEqualTypeOf<SseEndData>();
    expectTypeOf<SseEndData["reason"]>().toEqualTypeOf<SseEndReason>();
    expectTypeOf<SseEndReason>().toEqualTypeOf<"lifetime" | "shutdown" | "slow_consumer" | "error" | "revoked" | "closed">();
    expectTypeOf<SseResetData["reason"]>().toEqualTypeOf<Extract<HubFrame, { type: "reset" }>["reason"]>();
  });

  it("maps an event type to its envelope and payload", () => {
    expectTypeOf<PayloadOf<"WPAssigned">["phase"]>().toEqualTypeOf<"implementation" | "review">();
    expectTypeOf<EnvelopeOf<"task.status">["payload"]["status"]>().toEqualTypeOf<
      "pending" | "running" | "waiting-for-input" | "completed" | "failed" | "canceled"
    >();
  });
});
