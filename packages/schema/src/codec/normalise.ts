/** Canonical forms applied after validation: lane aliases become canonical lanes. */
import { laneAlias } from "../lanes.js";
import type { Envelope } from "../schemas/envelope.js";

/** An envelope with `doing` (and any other alias) replaced by its canonical lane. */
export function canonicalEnvelope(envelope: Envelope): Envelope {
  if (envelope.event_type !== "WPStatusChanged") return envelope;
  const { payload } = envelope;
  const from = payload.from_lane === null ? undefined : laneAlias(payload.from_lane);
  const to = laneAlias(payload.to_lane);
  if (from === undefined && to === undefined) return envelope;
  return {
    ...envelope,
    payload: { ...payload, from_lane: from ?? payload.from_lane, to_lane: to ?? payload.to_lane },
  };
}
