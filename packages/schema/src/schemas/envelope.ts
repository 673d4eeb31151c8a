/**
 * The one event envelope, used unchanged by the producer, the outbox, the wire and
 * the hub (the systems we learn from let these drift apart and then rejected every
 * batch of one type). It is a union tagged by `event_type`: each member fixes its
 * `aggregate_type` and its payload, and is closed to fields it does not name.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import {
  DependencyResolvedPayload,
  ErrorLoggedPayload,
  FeatureCompletedPayload,
  FeatureCreatedPayload,
  HistoryAddedPayload,
  WPAssignedPayload,
  WPCreatedPayload,
  WPStatusChangedPayload,
} from "./domain/work-events.js";
import { MachineEventPayload } from "./domain/machine-events.js";
import { TaskCreatedPayload, TaskStatusPayload } from "./domain/task-events.js";
import { SessionFrame } from "./channels/session-frames.js";
import { ProblemsSnapshotPayload } from "./channels/problems-frames.js";
import { COMMIT_SHA_PATTERN } from "../patterns.js";
import { NodeId, SEMVER_PATTERN, Slug, Ulid, UtcTimestamp, Uuid } from "./primitives/strings.js";
import { TaggedUnion } from "./primitives/tagged-union.js";
import { NullableString, StringEnum } from "./primitives/compact.js";


/** Every field except `event_type`, `aggregate_type` and `payload`. */
const common = {
  event_id: Ulid,
  aggregate_id: Type.String({ minLength: 1, maxLength: 256 }),
  timestamp: UtcTimestamp,
  node_id: NodeId,
  lamport_clock: Type.Integer({ minimum: 1 }),
  causation_id: NullableString(Ulid),
  correlation_id: NullableString(Ulid),
  project_uuid: NullableString(Uuid),
  project_slug: NullableString(Slug),
  team_slug: Type.String({ minLength: 1, maxLength: 128 }),
  schema_version: Type.String({ pattern: SEMVER_PATTERN }),
  git_branch: Type.Optional(NullableString(Type.String({ maxLength: 512 }))),
  head_commit_sha: Type.Optional(NullableString(Type.String({ pattern: COMMIT_SHA_PATTERN }))),
  repo_slug: Type.Optional(NullableString(Type.String({ maxLength: 256 }))),
};

interface MemberSpec<EventType_ extends string, Aggregate extends TSchema, Payload extends TSchema> {
  eventType: EventType_;
  aggregateType: Aggregate;
  payload: Payload;
  /** Name in the JSON Schema export and in other languages' generated code. */
  title: string;
}

function member<EventType_ extends string, Aggregate extends TSchema, Payload extends TSchema>(
  spec: MemberSpec<EventType_, Aggregate, Payload>,
) {
  return Type.Object(
    {
      ...common,
      event_type: Type.Literal<EventType_>(spec.eventType),
      aggregate_type: spec.aggregateType,
      payload: spec.payload,
    },
    { additionalProperties: false, title: spec.title },
  );
}

const WorkPackage = Type.Literal("WorkPackage");
const Feature = Type.Literal("Feature");

export const WPStatusChangedEvent = member({
  eventType: "WPStatusChanged",
  aggregateType: WorkPackage,
  payload: WPStatusChangedPayload,
  title: "WPStatusChangedEvent",
});
export const WPCreatedEvent = member({
  eventType: "WPCreated",
  aggregateType: WorkPackage,
  payload: WPCreatedPayload,
  title: "WPCreatedEvent",
});
export const WPAssignedEvent = member({
  eventType: "WPAssigned",
  aggregateType: WorkPackage,
  payload: WPAssignedPayload,
  title: "WPAssignedEvent",
});
export const FeatureCreatedEvent = member({
  eventType: "FeatureCreated",
  aggregateType: Feature,
  payload: FeatureCreatedPayload,
  title: "FeatureCreatedEvent",
});
export const FeatureCompletedEvent = member({
  eventType: "FeatureCompleted",
  aggregateType: Feature,
  payload: FeatureCompletedPayload,
  title: "FeatureCompletedEvent",
});
export const HistoryAddedEvent = member({
  eventType: "HistoryAdded",
  aggregateType: WorkPackage,
  payload: HistoryAddedPayload,
  title: "HistoryAddedEvent",
});
export const ErrorLoggedEvent = member({
  eventType: "ErrorLogged",
  aggregateType: StringEnum(["WorkPackage", "Feature", "Error"]),
  payload: ErrorLoggedPayload,
  title: "ErrorLoggedEvent",
});
export const DependencyResolvedEvent = member({
  eventType: "DependencyResolved",
  aggregateType: WorkPackage,
  payload: DependencyResolvedPayload,
  title: "DependencyResolvedEvent",
});
export const MachineEventEvent = member({
  eventType: "MachineEvent",
  aggregateType: Type.Literal("Machine"),
  payload: MachineEventPayload,
  title: "MachineEventEnvelope",
});
export const TaskCreatedEvent = member({
  eventType: "task.created",
  aggregateType: Type.Literal("Task"),
  payload: TaskCreatedPayload,
  title: "TaskCreatedEvent",
});
export const TaskStatusEvent = member({
  eventType: "task.status",
  aggregateType: Type.Literal("Task"),
  payload: TaskStatusPayload,
  title: "TaskStatusEvent",
});
export const SessionEventEvent = member({
  eventType: "SessionEvent",
  aggregateType: Type.Literal("Session"),
  payload: SessionFrame,
  title: "SessionEventEnvelope",
});
export const ProblemsSnapshotEvent = member({
  eventType: "ProblemsSnapshot",
  aggregateType: Type.Literal("Problems"),
  payload: ProblemsSnapshotPayload,
  title: "ProblemsSnapshotEvent",
});

export const Envelope = TaggedUnion(
  "event_type",
  [
    WPStatusChangedEvent,
    WPCreatedEvent,
    WPAssignedEvent,
    FeatureCreatedEvent,
    FeatureCompletedEvent,
    HistoryAddedEvent,
    ErrorLoggedEvent,
    DependencyResolvedEvent,
    MachineEventEvent,
    TaskCreatedEvent,
    TaskStatusEvent,
    SessionEventEvent,
    ProblemsSnapshotEvent,
  ],
  { title: "Envelope", description: "One event, as produced, queued, sent, stored and delivered." },
);

export type Envelope = Static<typeof Envelope>;
export type EventType = Envelope["event_type"];
/** The envelope of one event type. */
export type EnvelopeOf<T extends EventType> = Extract<Envelope, { event_type: T }>;
/** The payload of one event type. */
export type PayloadOf<T extends EventType> = EnvelopeOf<T>["payload"];
/** The `aggregate_type` values one event type allows. */
export type AggregateTypeOf<T extends EventType> = EnvelopeOf<T>["aggregate_type"];
