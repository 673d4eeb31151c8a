import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reduceStatus, type Envelope, type EnvelopeOf, type LaneInput } from "@events/schema";

let counter = 0;
function status(
  wp: string,
  from: LaneInput | null,
  to: LaneInput,
  at: { clock: number; node?: string; id?: string; feature?: string; extra?: Partial<EnvelopeOf<"WPStatusChanged">["payload"]> },
): EnvelopeOf<"WPStatusChanged"> {
  counter += 1;
  return {
    event_id: at.id ?? `01JD7Z8Q3K5M2N4P6R8T${String(counter).padStart(6, "0")}`,
    event_type: "WPStatusChanged",
    aggregate_type: "WorkPackage",
    aggregate_id: wp,
    payload: { wp_id: wp, from_lane: from, to_lane: to, feature_slug: at.feature ?? "001-demo", ...at.extra },
    timestamp: "2026-11-20T10:00:00Z",
    node_id: at.node ?? "node-a",
    lamport_clock: at.clock,
    causation_id: null,
    correlation_id: null,
    project_uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f",
    project_slug: "demo",
    team_slug: "local",
    schema_version: "1.0.0",
  };
}

describe("reduceStatus", () => {
  it("folds a work package through its lanes", () => {
    const result = reduceStatus([
      status("WP01", null, "planned", { clock: 1 }),
      status("WP01", "planned", "claimed", { clock: 2 }),
      status("WP01", "claimed", "doing", { clock: 3 }),
      status("WP01", "in_progress", "for_review", { clock: 4 }),
    ]);
    expect(result.anomalies).toEqual([]);
    expect(result.workPackages).toEqual([expect.objectContaining({ wp_id: "WP01", lane: "for_review", transitions: 4 })]);
  });

  it("orders by lamport clock, never by timestamp", () => {
    const late = { ...status("WP01", "planned", "claimed", { clock: 2 }), timestamp: "2020-01-01T00:00:00Z" };
    const result = reduceStatus([late, status("WP01", null, "planned", { clock: 1 })]);
    expect(result.workPackages[0]?.lane).toBe("claimed");
    expect(result.anomalies).toEqual([]);
  });

  it("keeps the lane and reports an illegal transition", () => {
    const result = reduceStatus([
      status("WP01", null, "planned", { clock: 1 }),
      status("WP01", "planned", "done", { clock: 2 }),
    ]);
    expect(result.workPackages[0]?.lane).toBe("planned");
    expect(result.anomalies).toEqual([expect.objectContaining({ kind: "illegal_transition", to_lane: "done", current_lane: "planned" })]);
  });

  it("applies a forced move with a reason", () => {
    const result = reduceStatus([
      status("WP01", null, "planned", { clock: 1 }),
      status("WP01", "planned", "done", { clock: 2, extra: { force: true, reason: "merged elsewhere" } }),
    ]);
    expect(result.workPackages[0]?.lane).toBe("done");
  });

  it("reports a stale from_lane but applies a legal move", () => {
    const result = reduceStatus([
      status("WP01", null, "planned", { clock: 1 }),
      status("WP01", "claimed", "blocked", { clock: 2 }),
    ]);
    expect(result.workPackages[0]?.lane).toBe("blocked");
    expect(result.anomalies.map((anomaly) => anomaly.kind)).toEqual(["stale_from_lane"]);
  });

  it("keeps work packages of different features apart", () => {
    const result = reduceStatus([
      status("WP01", null, "planned", { clock: 1, feature: "001-a" }),
      status("WP01", null, "planned", { clock: 2, feature: "002-b" }),
      status("WP01", "planned", "claimed", { clock: 3, feature: "002-b" }),
    ]);
    expect(result.workPackages.map((wp) => [wp.feature_slug, wp.lane])).toEqual([
      ["001-a", "planned"],
      ["002-b", "claimed"],
    ]);
  });

  it("ignores other event types", () => {
    const other = { ...status("WP01", null, "planned", { clock: 1 }), event_type: "WPAssigned" } as unknown as Envelope;
    expect(reduceStatus([other]).workPackages).toEqual([]);
  });

  // Random histories: several work packages, several nodes, clock ties, any lanes.
  const lane = fc.constantFrom<LaneInput>("planned", "claimed", "in_progress", "doing", "for_review", "done", "blocked", "canceled");
  const history = fc
    .array(
      fc.record({
        wp: fc.constantFrom("WP01", "WP02", "WP03"),
        from: fc.option(lane, { nil: null }),
        to: lane,
        clock: fc.integer({ min: 1, max: 12 }),
        node: fc.constantFrom("node-a", "node-b"),
        force: fc.boolean(),
      }),
      { maxLength: 40 },
    )
    .map((items) =>
      items.map((item, index) =>
        status(item.wp, item.from, item.to, {
          clock: item.clock,
          node: item.node,
          id: `01JD7Z8Q3K5M2N4P6R8T${String(index).padStart(6, "0")}`,
          extra: item.force ? { force: true, reason: "because", review_ref: "r1" } : {},
        }),
      ),
    );

  it("does not depend on input order (property)", () => {
    fc.assert(
      fc.property(history.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length }))), ([events, shuffled]) => {
        expect(reduceStatus(shuffled)).toEqual(reduceStatus(events));
      }),
      { numRuns: 500 },
    );
  });

  it("does not depend on duplicates (property)", () => {
    fc.assert(
      fc.property(
        history.chain((events) => fc.tuple(fc.constant(events), fc.array(fc.constantFrom(...(events.length > 0 ? events : [null])), { maxLength: 20 }))),
        ([events, repeats]) => {
          const withRepeats = [...events, ...repeats.filter((event) => event !== null)];
          expect(reduceStatus(withRepeats)).toEqual(reduceStatus(events));
        },
      ),
      { numRuns: 500 },
    );
  });
});
