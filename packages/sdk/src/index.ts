/**
 * @events/sdk: emit typed events that are never lost. `emit()` is durable in a
 * local SQLite outbox before it returns, safe with many processes writing at once,
 * and never throws into the host command.
 */

export { createEmitter } from "./emitter/emitter.js";
export type { Emitter, IdentitySnapshot, CloseReport } from "./emitter/emitter.js";
export { getEmitter } from "./emitter/singleton.js";
export type { EmitOptions, EmitResult, EmitSuccess, EmitFailure, EmitFailureReason } from "./emitter/emit-types.js";
export type { MachineEventInput, PublishProblemsOptions, EventHelpers } from "./emitter/event-helpers.js";
export type { SessionHandle, InputRequest } from "./emitter/session-handle.js";
export { generateCausationId } from "./ids.js";
export type { ClockState } from "./clock/lamport-clock.js";
export type {
  Outbox,
  ClaimedEvent,
  ClaimOptions,
  NackResult,
  DeadLetter,
  OutboxStats,
  QueuedEvent,
  PurgeResult,
} from "./outbox/outbox.js";
export { DEFAULTS, resolveHome } from "./options.js";
export type { EmitterOptions, CapPolicy, ProjectIdentityInput } from "./options.js";
export { EventsSdkError, RETRYABLE_CODES } from "./errors.js";
export type { EventsSdkErrorCode } from "./errors.js";
export { setLogSink } from "./logger.js";
export type { LogLevel, LogSink } from "./logger.js";
export { login, logout, checkHub } from "./sync/login.js";
export type { LoginInput, LoginResult, CheckInput } from "./sync/login.js";
export { readCredentials, writeCredentials, removeCredentials, credentialsPath, resolveServer } from "./sync/credentials.js";
export type { Credentials, ServerSettings } from "./sync/credentials.js";
export { SyncError, SYNC_HINTS } from "./sync/sync-error.js";
export type { SyncErrorClass } from "./sync/sync-error.js";
export type { ConnectionState, SyncEventMap, SyncProgress } from "./sync/connection-state.js";
export type { SyncNowOptions, SyncResult, SyncStatus } from "./sync/sync-client.js";
export type { RuntimeStatus } from "./sync/runtime.js";
export { syncerRunning, syncerSocketPath } from "./syncer/syncer-socket.js";
export type { SyncTuning } from "./options.js";
