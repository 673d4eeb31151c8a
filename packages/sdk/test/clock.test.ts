import { describe, expect, it } from "vitest";
import { siblingEmitter, testEmitter } from "./helpers/emitters.js";
import { PAYLOADS } from "./helpers/payloads.js";

function clockOf(result: { ok: boolean; event?: { lamport_clock: number } }): number | undefined {
  return result.ok ? result.event?.lamport_clock : undefined;
}

describe("Lamport clock", () => {
  it("starts at 0 and stamps each emit with the next value", () => {
    const emitter = testEmitter();
    expect(emitter.clock()).toEqual({ value: 0, nodeId: emitter.identity().nodeId });
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(1);
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(2);
    expect(emitter.clock().value).toBe(2);
  });

  it("observe applies the receive rule: value := max(value, remote), so the next emit is greater than remote", () => {
    const emitter = testEmitter();
    emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(emitter.observe(100).value).toBe(100);
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(101);
    expect(emitter.observe(50).value).toBe(101);
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(102);
  });

  it("ignores observed values that cannot be clock values", () => {
    const emitter = testEmitter();
    emitter.observe(10);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "20" as unknown as number]) {
      expect(emitter.observe(bad).value).toBe(10);
    }
  });

  it("resetClock sets the value the CLI asks for", () => {
    const emitter = testEmitter();
    emitter.observe(40);
    expect(emitter.resetClock().value).toBe(0);
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(1);
    expect(emitter.resetClock(7).value).toBe(7);
    expect(clockOf(emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(8);
  });

  it("is one sequence for every emitter on a home: values interleave, unique and increasing", () => {
    const a = testEmitter();
    const b = siblingEmitter(a);
    const clocks: number[] = [];
    for (let i = 0; i < 10; i++) {
      clocks.push(clockOf(a.emitWpStatusChanged(PAYLOADS.WPStatusChanged))!);
      clocks.push(clockOf(b.emitWpStatusChanged(PAYLOADS.WPStatusChanged))!);
    }
    expect(clocks).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    b.observe(500);
    expect(clockOf(a.emitWpStatusChanged(PAYLOADS.WPStatusChanged))).toBe(501);
  });
});
