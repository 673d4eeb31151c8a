/** The regular expressions of the named string shapes, shared by schemas and issues. */

/** Crockford base32, 26 characters: the idempotency key of every event. */
export const ULID_PATTERN = "^[0-9A-HJKMNP-TV-Z]{26}$";
export const UUID_PATTERN =
  "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/** RFC 3339 in UTC (`Z`), with optional fractional seconds. */
export const UTC_TIMESTAMP_PATTERN =
  "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$";
export const SEMVER_PATTERN = "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$";
export const SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$";
export const NODE_ID_PATTERN = "^[A-Za-z0-9_.:-]{1,64}$";
export const WP_ID_PATTERN = "^WP[0-9]{2}$";
export const FEATURE_SLUG_PATTERN = "^[0-9]{3}-[a-z0-9-]+$";
/** A git commit, abbreviated (7+) or full (SHA-1 or SHA-256). */
export const COMMIT_SHA_PATTERN = "^[0-9a-f]{7,64}$";
export const FEATURE_NUMBER_PATTERN = "^[0-9]{3}$";
/** A machine event type: a letter or `_`, then up to 127 of letters, digits and `_ . : -`. */
export const IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$";
/** A stream of the hub's log: `-` (events without a project) or a project uuid. */
export const STREAM_ID_PATTERN = "^(-|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";
/** A position token: `<stream>:<seq>` pairs joined by `,`; empty for the start of every stream. */
export const POSITION_TOKEN_PATTERN =
  "^((-|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}):[0-9]{1,15}(,(-|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}):[0-9]{1,15})*)?$";
/** The longest position token the hub reads: about 1,600 project streams (SSE's Last-Event-ID travels in a header). */
export const POSITION_TOKEN_MAX_CHARS = 65_536;
