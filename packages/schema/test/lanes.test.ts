import { describe, expect, it } from "vitest";
import { allowedTargets, canonicalLane, checkTransition, LANES, TERMINAL_LANES, type Lane } from "@events/schema";

describe("lanes", () => {
  it("has the seven canonical lanes and the doing alias", () => {
    expect(LANES).toEqual(["planned", "claimed", "in_progress", "for_review", "done", "blocked", "canceled"]);
    expect(canonicalLane("doing")).toBe("in_progress");
    expect(canonicalLane("review")).toBeUndefined();
    expect(canonicalLane(3)).toBeUndefined();
  });

  it.each<[Lane | null, Lane]>([
    [null, "planned"],
    ["planned", "claimed"],
    ["claimed", "in_progress"],
    ["in_progress", "for_review"],
    ["for_review", "done"],
    ["blocked", "in_progress"],
    ["planned", "blocked"],
    ["for_review", "canceled"],
  ])("allows %s -> %s", (from, to) => {
    expect(checkTransition(from, to)).toEqual({ ok: true, forced: false });
  });

  it.each<[Lane | null, Lane]>([
    [null, "done"],
    ["planned", "done"],
    ["done", "in_progress"],
    ["canceled", "planned"],
    ["done", "blocked"],
    ["blocked", "blocked"],
  ])("refuses %s -> %s and says what is allowed", (from, to) => {
    const check = checkTransition(from, to);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(/not an allowed transition/);
  });

  it("needs a review_ref to send work back from review", () => {
    expect(checkTransition("for_review", "in_progress").ok).toBe(false);
    expect(checkTransition("for_review", "in_progress", { review_ref: "PR#12" })).toEqual({ ok: true, forced: false });
  });

  it("needs a reason to return work to planned", () => {
    expect(checkTransition("in_progress", "planned").ok).toBe(false);
    expect(checkTransition("in_progress", "planned", { reason: "descoped" }).ok).toBe(true);
  });

  it("lets force bypass the matrix only with a reason", () => {
    expect(checkTransition("done", "in_progress", { force: true }).ok).toBe(false);
    expect(checkTransition("done", "in_progress", { force: true, reason: "  " }).ok).toBe(false);
    expect(checkTransition("done", "in_progress", { force: true, reason: "regression" })).toEqual({ ok: true, forced: true });
  });

  it("treats done and canceled as terminal", () => {
    for (const lane of TERMINAL_LANES) expect(allowedTargets(lane)).toEqual([]);
  });
});
