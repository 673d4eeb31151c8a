/**
 * Named string shapes shared by every message. Each carries a `title`, which the
 * JSON Schema export turns into a `$defs` entry and other languages into a type name,
 * and which validation issues quote as what was expected.
 */
import { Type } from "@sinclair/typebox";
import { OpenObject } from "./compact.js";
import {
  ULID_PATTERN,
  UUID_PATTERN,
  UTC_TIMESTAMP_PATTERN,
  SEMVER_PATTERN,
  SLUG_PATTERN,
  NODE_ID_PATTERN,
  WP_ID_PATTERN,
  FEATURE_SLUG_PATTERN,
  STREAM_ID_PATTERN,
  POSITION_TOKEN_PATTERN,
  POSITION_TOKEN_MAX_CHARS,
} from "../../patterns.js";

export {
  ULID_PATTERN,
  UUID_PATTERN,
  UTC_TIMESTAMP_PATTERN,
  SEMVER_PATTERN,
  SLUG_PATTERN,
  NODE_ID_PATTERN,
  WP_ID_PATTERN,
  FEATURE_SLUG_PATTERN,
};

export const Ulid = Type.String({ pattern: ULID_PATTERN, title: "Ulid" });
export const Uuid = Type.String({ pattern: UUID_PATTERN, title: "Uuid" });
export const UtcTimestamp = Type.String({
  pattern: UTC_TIMESTAMP_PATTERN,
  title: "UtcTimestamp",
  description: "RFC 3339 date-time in UTC, e.g. 2026-11-20T10:00:00.000Z",
});
/** When something happened, as producers in other languages write it: RFC 3339 UTC, or seconds since the epoch (Python's `time.time()`). */
export const Instant = Type.Union([UtcTimestamp, Type.Number({ minimum: 0 })], {
  title: "Instant",
  description: "An RFC 3339 UTC timestamp, or seconds since the Unix epoch as Python's time.time() gives it.",
});
export const Slug = Type.String({ pattern: SLUG_PATTERN, maxLength: 128, title: "Slug" });
export const NodeId = Type.String({ pattern: NODE_ID_PATTERN, title: "NodeId" });
export const WpId = Type.String({ pattern: WP_ID_PATTERN, title: "WpId" });
export const FeatureSlug = Type.String({ pattern: FEATURE_SLUG_PATTERN, title: "FeatureSlug" });
/** A short non-empty label: names, ids chosen by people, free-form types. */
export const Label = Type.String({ minLength: 1, maxLength: 256 });
/** Free text of a bounded size. */
export const Text = Type.String({ maxLength: 65_536 });
/** A JSON object whose shape the schema does not fix. */
export const JsonObject = OpenObject({ title: "JsonObject" });
/** A non-negative integer position in one stream of the hub's event log. */
export const Seq = Type.Integer({ minimum: 0, title: "Seq" });
/** A stream of the hub's log: a project uuid, or `-` for events without a project. */
export const StreamId = Type.String({ pattern: STREAM_ID_PATTERN, title: "StreamId" });
/**
 * A position in every stream a subscription reads: `<stream>:<seq>` pairs joined by
 * `,` (e.g. `-:4,0b6f...:17`), one per stream, each the last seq seen in it. A stream
 * not named is read from its start; the empty token is the start of everything.
 */
export const PositionToken = Type.String({
  pattern: POSITION_TOKEN_PATTERN,
  maxLength: POSITION_TOKEN_MAX_CHARS,
  title: "PositionToken",
  description: "Per-stream position: `<stream>:<seq>` pairs joined by `,`; a stream not named is read from its start.",
});
