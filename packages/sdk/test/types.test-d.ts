import type { EnvelopeOf, Lane, PayloadOf } from "@events/schema";
import { describe, expectTypeOf, it } from "vitest";
import type { ClaimedEvent, EmitResult, Emitter, OutboxStats, SessionHandle } from "../src/index.js";

declare const emitter: Emitter;

describe("emit is typed by event type", () => {
  it("narrows the payload parameter by eventType", () => {
    expectTypeOf(emitter.emit<"WPAssigned">).parameter(1).toEqualTypeOf<PayloadOf<"WPAssigned">>();
    emitter.emit("WPStatusChanged", { wp_id: "WP01", from_lane: null, to_lane: "doing" });
    // @ts-expect-error: WPCreated needs a title, a feature slug and dependencies.
    emitter.emit("WPCreated", { wp_id: "WP01" });
    // @ts-expect-error: not a lane.
    emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: null, to_lane: "finished" });
    // @ts-expect-error: not an event type.
    emitter.emit("NoSuchEvent", {});
  });

  it("returns the envelope of that type once ok is checked", () => {
    const result = emitter.emit("WPStatusChanged", { wp_id: "WP01", from_lane: null, to_lane: "planned" });
    expectTypeOf(result).toEqualTypeOf<EmitResult<"WPStatusChanged">>();
    if (result.ok) {
      expectTypeOf(result.event).toEqualTypeOf<EnvelopeOf<"WPStatusChanged">>();
      expectTypeOf(result.event.payload.to_lane).toEqualTypeOf<Lane | "doing">();
      expectTypeOf(result.durable).toEqualTypeOf<boolean>();
    } else {
      expectTypeOf(result.reason).toEqualTypeOf<"invalid" | "queue_full" | "unavailable" | "closed" | "internal">();
    }
  });

  it("types the helpers, sessions and the outbox", () => {
    expectTypeOf(emitter.emitFeatureCreated).returns.toEqualTypeOf<EmitResult<"FeatureCreated">>();
    expectTypeOf(emitter.sendMachineEvent).returns.toEqualTypeOf<EmitResult<"MachineEvent">>();
    expectTypeOf(emitter.session("s")).toEqualTypeOf<SessionHandle>();
    const frame = emitter.session("s").progress("p", 1, 2);
    if (frame.ok && frame.event.payload.kind === "progress") expectTypeOf(frame.event.payload.total).toEqualTypeOf<number>();
    expectTypeOf(emitter.outbox.claim(10)).toEqualTypeOf<ClaimedEvent[]>();
    expectTypeOf(emitter.outbox.stats()).toEqualTypeOf<OutboxStats>();
    expectTypeOf(emitter.clock()).toEqualTypeOf<{ value: number; nodeId: string }>();
  });
});
