/**
 * Canonical forms applied after validation: lane aliases become canonical lanes and
 * activity-log levels become lower case. The input object is never changed; a copy
 * is made only when something is rewritten.
 */
import { canonicalActivityLevel } from "../levels.js";
import { laneAlias } from "../lanes.js";
import type { Envelope } from "../schemas/envelope.js";

/** An envelope with `doing` (and any other alias) replaced by its canonical lane, and levels in lower case. */
export function canonicalEnvelope(envelope: Envelope): Envelope {
  if (envelope.event_type === "WPStatusChanged") return canonicalLanes(envelope);
  if (envelope.event_type === "MachineEvent") return canonicalLevel(envelope);
  return envelope;
}

function canonicalLanes(envelope: Envelope & { event_type: "WPStatusChanged" }): Envelope {
  const { payload } = envelope;
  const from = payload.from_lane === null ? undefined : laneAlias(payload.from_lane);
  const to = laneAlias(payload.to_lane);
  if (from === undefined && to === undefined) return envelope;
  return {
    ...envelope,
    payload: { ...payload, from_lane: from ?? payload.from_lane, to_lane: to ?? payload.to_lane },
  };
}

function canonicalLevel(envelope: Envelope & { event_type: "MachineEvent" }): Envelope {
  const machine = envelope.payload;
  if (machine.type !== "activity_log") return envelope;
  const level = machine.payload["level"];
  if (typeof level !== "string") return envelope;
  const canonical = canonicalActivityLevel(level);
  if (canonical === undefined || canonical === level) return envelope;
  return { ...envelope, payload: { ...machine, payload: { ...machine.payload, level: canonical } } };
}
