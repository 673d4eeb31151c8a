/**
 * The TypeBox schemas of every message, for code that composes them (Fastify's
 * TypeBox provider, custom validators). Loading this builds the schemas; the main
 * entry point does not.
 */
export * from "./schemas/primitives/strings.js";
export { StringEnum, NullableString, OpenObject } from "./schemas/primitives/compact.js";
export { TaggedUnion, tagsOf } from "./schemas/primitives/tagged-union.js";
export type { TTaggedUnion, TaggedUnionOptions } from "./schemas/primitives/tagged-union.js";
export { LaneInput, NullableLaneInput } from "./schemas/domain/lanes.js";
export * from "./schemas/domain/work-events.js";
export * from "./schemas/domain/machine-events.js";
export * from "./schemas/domain/task-events.js";
export * from "./schemas/channels/session-frames.js";
export * from "./schemas/channels/problems-frames.js";
export * from "./schemas/envelope.js";
export * from "./schemas/protocol/issue.js";
export * from "./schemas/protocol/limits.js";
export * from "./schemas/protocol/results.js";
export * from "./schemas/protocol/errors.js";
export * from "./schemas/protocol/frames.js";
export * from "./schemas/protocol/batch.js";
export * from "./schemas/protocol/history.js";
export * from "./schemas/protocol/sse.js";
export { UNIONS, MESSAGES, namedSchemas, membersByTag } from "./schemas/registry.js";
