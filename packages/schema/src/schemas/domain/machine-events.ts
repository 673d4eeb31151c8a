/**
 * Machine events: the `send-event` family of statemachine-engine. A machine event
 * goes from a `source` to a `target` (`"ui"` or a machine name) with a free-form
 * `type`; when the type is one of the realtime types the engine emits, its payload
 * must have that type's shape.
 */
import { Type, type Static, type TObject } from "@sinclair/typebox";
import { Instant, JsonObject, Label } from "../primitives/strings.js";
import { NullableString } from "../primitives/compact.js";
import type { RealtimeType } from "../../constants.js";
import { ACTIVITY_LEVEL_PATTERN, type ActivityLevel as ActivityLevelValue } from "../../levels.js";
import { IDENTIFIER_PATTERN } from "../../patterns.js";

const open = { additionalProperties: true } as const;

/** statemachine-engine stamps its realtime events with `time.time()`. */
const MachineTime = Instant;

/** Ids the engine may send as `None`. */
const OptionalLabel = Type.Optional(NullableString(Label));

export const StateChangeData = Type.Object(
  {
    from_state: Label,
    to_state: Label,
    event_trigger: Label,
    timestamp: Type.Optional(MachineTime),
  },
  { ...open, title: "StateChangeData" },
);

/** Any case of debug, info, success, warning (or warn) and error; decode returns it in lower case. */
export const ActivityLevel = Type.Unsafe<ActivityLevelValue>({
  title: "ActivityLevel",
  description: "debug, info, success, warning (alias warn) or error, in any letter case; stored in lower case.",
  type: "string",
  pattern: ACTIVITY_LEVEL_PATTERN,
});

export const ActivityLogData = Type.Object(
  { message: Type.String({ minLength: 1, maxLength: 65_536 }), level: Type.Optional(ActivityLevel) },
  { ...open, title: "ActivityLogData" },
);

export const JobStartedData = Type.Object(
  { job_id: OptionalLabel, job_type: OptionalLabel, timestamp: Type.Optional(MachineTime) },
  { ...open, title: "JobStartedData" },
);

export const JobCompletedData = Type.Object(
  { job_id: OptionalLabel, job_type: OptionalLabel, result: Type.Optional(JsonObject), timestamp: Type.Optional(MachineTime) },
  { ...open, title: "JobCompletedData" },
);

const ErrorText = Type.String({ minLength: 1, maxLength: 65_536 });

/** `message`, or `error_message` as the engine's `emit_error` names it: at least one of them. */
export const MachineErrorData = Type.Object(
  {
    message: Type.Optional(ErrorText),
    error_message: Type.Optional(ErrorText),
    error_type: Type.Optional(Label),
    job_id: OptionalLabel,
    timestamp: Type.Optional(MachineTime),
  },
  {
    ...open,
    title: "MachineErrorData",
    anyOf: [
      { properties: { message: ErrorText }, required: ["message"] },
      { properties: { error_message: ErrorText }, required: ["error_message"] },
    ],
  },
);

/** Realtime types and the shape their payload must have. */
export const REALTIME_DATA: Readonly<Record<RealtimeType, TObject>> = {
  state_change: StateChangeData,
  activity_log: ActivityLogData,
  job_started: JobStartedData,
  job_completed: JobCompletedData,
  error: MachineErrorData,
};


export const MachineEventPayload = Type.Object(
  {
    /** Who sent it. @default "cli" */
    source: Label,
    /** `"ui"` for the dashboard only, else the machine that should act on it. */
    target: Label,
    type: Type.String({ pattern: IDENTIFIER_PATTERN }),
    job_id: Type.Optional(NullableString(Label)),
    payload: JsonObject,
  },
  {
    additionalProperties: false,
    title: "MachineEventPayload",
    allOf: Object.entries(REALTIME_DATA).map(([type, data]) => ({
      if: { properties: { type: { const: type } }, required: ["type"] },
      then: { properties: { payload: data } },
    })),
  },
);

/** What statemachine-engine's `send-event` puts on the events socket. */
export const MachineDatagram = Type.Object(
  {
    machine_name: Label,
    event_type: Type.String({ pattern: IDENTIFIER_PATTERN }),
    payload: Type.Optional(JsonObject),
    target: Type.Optional(Label),
    job_id: Type.Optional(NullableString(Label)),
  },
  { additionalProperties: true, title: "MachineDatagram" },
);

/** What the hub writes to `control-<machine>.sock` for a machine target. */
export const MachineControlMessage = Type.Object(
  {
    type: Label,
    payload: JsonObject,
    job_id: NullableString(Label),
  },
  { additionalProperties: false, title: "MachineControlMessage" },
);

export type StateChangeData = Static<typeof StateChangeData>;
export type ActivityLogData = Static<typeof ActivityLogData>;
export type ActivityLevel = ActivityLevelValue;
export type JobStartedData = Static<typeof JobStartedData>;
export type JobCompletedData = Static<typeof JobCompletedData>;
export type MachineErrorData = Static<typeof MachineErrorData>;
export type MachineEventPayload = Static<typeof MachineEventPayload>;
export type MachineDatagram = Static<typeof MachineDatagram>;
export type MachineControlMessage = Static<typeof MachineControlMessage>;

