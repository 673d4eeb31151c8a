/** Lane schemas; the lanes themselves and the transition matrix are in src/lanes.ts. */
import { Type } from "@sinclair/typebox";
import { LANE_INPUTS, type LaneInput as LaneInputValue } from "../../lanes.js";
import { StringEnum } from "../primitives/compact.js";

export const LaneInput = StringEnum(LANE_INPUTS, {
  title: "Lane",
  description: "A work-package lane; `doing` is an alias of `in_progress`.",
});

/** A lane, or `null` for a work package that has none yet. */
export const NullableLaneInput = Type.Unsafe<LaneInputValue | null>({
  title: "NullableLane",
  type: ["string", "null"],
  enum: [...LANE_INPUTS, null],
});

export type LaneInput = LaneInputValue;
