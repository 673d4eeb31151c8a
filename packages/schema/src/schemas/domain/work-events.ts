/**
 * Payloads of the eight work-package and feature event types, with the exact
 * constraints of the systems this project grew from (seed-systems.md, A2).
 * Payloads are closed (`additionalProperties: false`): a field the schema does not
 * know is an error at the producer, not a silent drop at the hub.
 */
import { Type, type Static } from "@sinclair/typebox";
import { FeatureSlug, Label, Text, UtcTimestamp, WpId } from "../primitives/strings.js";
import { FEATURE_NUMBER_PATTERN } from "../../patterns.js";
import { LaneInput, NullableLaneInput } from "./lanes.js";
import { NullableString, StringEnum } from "../primitives/compact.js";

const closed = { additionalProperties: false } as const;

export const WPStatusChangedPayload = Type.Object(
  {
    wp_id: WpId,
    /** `null` for a work package's first lane. */
    from_lane: NullableLaneInput,
    to_lane: LaneInput,
    actor: Type.Optional(Label),
    feature_slug: Type.Optional(FeatureSlug),
    force: Type.Optional(Type.Boolean()),
    reason: Type.Optional(Text),
    review_ref: Type.Optional(Label),
  },
  { ...closed, title: "WPStatusChangedPayload" },
);

export const WPCreatedPayload = Type.Object(
  {
    wp_id: WpId,
    title: Type.String({ minLength: 1, maxLength: 1024 }),
    feature_slug: FeatureSlug,
    dependencies: Type.Array(WpId, { maxItems: 1000 }),
  },
  { ...closed, title: "WPCreatedPayload" },
);

export const WPAssignedPayload = Type.Object(
  {
    wp_id: WpId,
    agent_id: Label,
    phase: StringEnum(["implementation", "review"]),
    retry_count: Type.Integer({ minimum: 0 }),
  },
  { ...closed, title: "WPAssignedPayload" },
);

export const FeatureCreatedPayload = Type.Object(
  {
    feature_slug: FeatureSlug,
    feature_number: Type.String({ pattern: FEATURE_NUMBER_PATTERN }),
    target_branch: Label,
    wp_count: Type.Integer({ minimum: 0 }),
    created_at: Type.Optional(UtcTimestamp),
  },
  { ...closed, title: "FeatureCreatedPayload" },
);

export const FeatureCompletedPayload = Type.Object(
  {
    feature_slug: FeatureSlug,
    total_wps: Type.Integer({ minimum: 0 }),
    completed_at: Type.Optional(UtcTimestamp),
    total_duration: Type.Optional(NullableString(Type.String({ maxLength: 256 }))),
  },
  { ...closed, title: "FeatureCompletedPayload" },
);

export const HistoryAddedPayload = Type.Object(
  {
    wp_id: WpId,
    entry_type: StringEnum(["note", "review", "error", "comment"]),
    entry_content: Type.String({ minLength: 1, maxLength: 65_536 }),
    author: Type.Optional(Label),
  },
  { ...closed, title: "HistoryAddedPayload" },
);

export const ErrorLoggedPayload = Type.Object(
  {
    error_type: StringEnum(["validation", "runtime", "network", "auth", "unknown"]),
    error_message: Type.String({ minLength: 1, maxLength: 65_536 }),
    wp_id: Type.Optional(WpId),
    stack_trace: Type.Optional(Text),
    agent_id: Type.Optional(Label),
  },
  { ...closed, title: "ErrorLoggedPayload" },
);

export const DependencyResolvedPayload = Type.Object(
  {
    wp_id: WpId,
    dependency_wp_id: WpId,
    resolution_type: StringEnum(["completed", "skipped", "merged"]),
  },
  { ...closed, title: "DependencyResolvedPayload" },
);

export type WPStatusChangedPayload = Static<typeof WPStatusChangedPayload>;
export type WPCreatedPayload = Static<typeof WPCreatedPayload>;
export type WPAssignedPayload = Static<typeof WPAssignedPayload>;
export type FeatureCreatedPayload = Static<typeof FeatureCreatedPayload>;
export type FeatureCompletedPayload = Static<typeof FeatureCompletedPayload>;
export type HistoryAddedPayload = Static<typeof HistoryAddedPayload>;
export type ErrorLoggedPayload = Static<typeof ErrorLoggedPayload>;
export type DependencyResolvedPayload = Static<typeof DependencyResolvedPayload>;
