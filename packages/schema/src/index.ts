/**
 * @events/schema: every message of @events, defined once. This entry point is what
 * producers and the hub load at run time: codecs over validators compiled ahead of
 * time, lanes, the status reducer and the shared constants. It builds no schema at
 * import; the TypeBox schemas themselves are in `@events/schema/typebox`, and the
 * JSON Schema / AsyncAPI export in `@events/schema/export`.
 */

export {
  codecs,
  envelopeCodec,
  sessionFrameCodec,
  problemsFrameCodec,
  clientFrameCodec,
  hubFrameCodec,
  eventResultCodec,
  batchRequestCodec,
  batchResponseCodec,
  errorResponseCodec,
  eventPageCodec,
  limitsCodec,
  machineDatagramCodec,
  machineControlCodec,
  problemsSnapshotCodec,
  findingCodec,
  issueCodec,
  sseReadyDataCodec,
  sseResetDataCodec,
  sseGapDataCodec,
  sseEndDataCodec,
  decodeEnvelope,
  decodeSessionFrame,
  decodeProblemsFrame,
  decodeClientFrame,
  decodeHubFrame,
  encode,
  describe,
  referenceUnavailable,
} from "./codec/index.js";
export type { Codec, DecodeResult, MessageName } from "./codec/index.js";
export { PATH_MAX_CHARS, RECEIVED_MAX_CHARS, RECEIVED_NOTHING, issuePath, receivedText } from "./codec/received.js";
export { canonicalEnvelope } from "./codec/normalise.js";
export { issuesFromErrors } from "./codec/issues.js";
export type { ValidatorError, KnownTags } from "./codec/issues.js";

export {
  LANES,
  LANE_ALIASES,
  LANE_INPUTS,
  TERMINAL_LANES,
  isLane,
  canonicalLane,
  checkTransition,
  allowedTargets,
} from "./lanes.js";
export type { Lane, LaneInput, TransitionOptions, TransitionCheck } from "./lanes.js";
export { ACTIVITY_LEVELS, ACTIVITY_LEVEL_ALIASES, ACTIVITY_LEVEL_PATTERN, canonicalActivityLevel } from "./levels.js";

export { reduceStatus, workPackageKey } from "./status/reduce-status.js";
export type { WorkPackageStatus, StatusAnomaly, AnomalyKind, StatusReduction } from "./status/reduce-status.js";
export { compareEvents, orderedUnique } from "./status/total-order.js";
export type { Ordered } from "./status/total-order.js";
export { diffFindings, findingKey, isEmptyDelta } from "./status/problems-delta.js";
export type { FindingsDelta } from "./status/problems-delta.js";

export {
  EVENTS_CHANNEL,
  TASKS_CHANNEL,
  PROBLEMS_CHANNEL,
  sessionChannel,
  machineChannel,
  channelOf,
  channelMatches,
  isKnownChannel,
} from "./channels.js";
export { EVENT_TYPES, WORK_EVENT_TYPES, isEventType } from "./event-types.js";
export {
  DEFAULT_LIMITS,
  SCHEMA_VERSION,
  PROTOCOL_VERSION,
  REALTIME_TYPES,
  TERMINAL_SESSION_KINDS,
  ERROR_CODES,
  CLOSE_CODES,
  SSE_EVENTS,
  SSE_END_REASONS,
} from "./constants.js";
export type { RealtimeType, ErrorCode, CloseCode, SseEventName, SseEndReason } from "./constants.js";
export * from "./patterns.js";
export { NO_PROJECT_STREAM, streamOf, projectOfStream, isStreamId, formatPosition, parsePosition, positionOf } from "./position.js";
export type { Position } from "./position.js";

export type {
  Envelope,
  EventType,
  EnvelopeOf,
  PayloadOf,
  AggregateTypeOf,
} from "./schemas/envelope.js";
export type {
  WPStatusChangedPayload,
  WPCreatedPayload,
  WPAssignedPayload,
  FeatureCreatedPayload,
  FeatureCompletedPayload,
  HistoryAddedPayload,
  ErrorLoggedPayload,
  DependencyResolvedPayload,
} from "./schemas/domain/work-events.js";
export type {
  MachineEventPayload,
  MachineDatagram,
  MachineControlMessage,
  StateChangeData,
  ActivityLogData,
  ActivityLevel,
  JobStartedData,
  JobCompletedData,
  MachineErrorData,
} from "./schemas/domain/machine-events.js";
export type { TaskStatus, TaskCreatedPayload, TaskStatusPayload } from "./schemas/domain/task-events.js";
export type {
  SessionFrame,
  PhaseFrame,
  ProgressFrame,
  InputRequiredFrame,
  WarningFrame,
  DoneFrame,
  FailedFrame,
} from "./schemas/channels/session-frames.js";
export type {
  Finding,
  Severity,
  ProblemsFrame,
  ProblemsSnapshotPayload,
  SnapshotFrame,
  DeltaFrame,
} from "./schemas/channels/problems-frames.js";
export type {
  ClientFrame,
  HubFrame,
  HelloFrame,
  WelcomeFrame,
  PublishFrame,
  AckFrame,
  SubscribeFrame,
  UnsubscribeFrame,
  SubscribedFrame,
  UnsubscribedFrame,
  MessageFrame,
  GapFrame,
  ResetFrame,
  PingFrame,
  PongFrame,
  ErrorFrame,
} from "./schemas/protocol/frames.js";
export type { EventResult, EventStatus, AcceptedResult, DuplicateResult, RejectedResult } from "./schemas/protocol/results.js";
export type { BatchRequest, BatchResponse } from "./schemas/protocol/batch.js";
export type { EventPage, StoredEvent } from "./schemas/protocol/history.js";
export type { ErrorBody, ErrorResponse } from "./schemas/protocol/errors.js";
export type { Issue } from "./schemas/protocol/issue.js";
export type { Limits } from "./schemas/protocol/limits.js";
export type { SseReadyData, SseResetData, SseGapData, SseEndData, SseControlData } from "./schemas/protocol/sse.js";
