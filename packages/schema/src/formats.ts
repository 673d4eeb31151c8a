/**
 * Hand-written checks for the named string patterns, used by the generated
 * validators in place of regular expressions (a `RegExp#test` call costs more than
 * the whole rest of an envelope's checks). Each accepts exactly the strings its
 * pattern in patterns.ts accepts; a property test holds them to that.
 */
import {
  COMMIT_SHA_PATTERN,
  FEATURE_NUMBER_PATTERN,
  FEATURE_SLUG_PATTERN,
  IDENTIFIER_PATTERN,
  NODE_ID_PATTERN,
  SEMVER_PATTERN,
  SLUG_PATTERN,
  ULID_PATTERN,
  UTC_TIMESTAMP_PATTERN,
  UUID_PATTERN,
  WP_ID_PATTERN,
} from "./patterns.js";

/** Inclusive ranges of character codes, or single characters. */
type CharClass = ReadonlyArray<readonly [number, number] | string>;

/**
 * A lookup table of the ASCII characters a class allows; anything above 127 is out.
 * Built from code ranges with plain loops: this runs at import, on every host start.
 */
function table(allowed: CharClass): Uint8Array {
  const out = new Uint8Array(128);
  for (const part of allowed) {
    if (typeof part === "string") {
      for (let i = 0; i < part.length; i++) out[part.charCodeAt(i)] = 1;
    } else {
      for (let code = part[0]; code <= part[1]; code++) out[code] = 1;
    }
  }
  return out;
}

const DIGIT: readonly [number, number] = [48, 57];
const LOWER: readonly [number, number] = [97, 122];
const UPPER: readonly [number, number] = [65, 90];

const DIGITS = table([DIGIT]);
const HEX = table([DIGIT, [97, 102], [65, 70]]);
const LOWER_HEX = table([DIGIT, [97, 102]]);
// Crockford's base32: upper-case letters without I, L, O and U.
const CROCKFORD = table([DIGIT, [65, 72], "JK", "MN", [80, 84], [86, 90]]);
const LOWER_ALNUM_DASH = table([DIGIT, LOWER, "-"]);
const ALNUM_DOT_DASH = table([DIGIT, LOWER, UPPER, ".-"]);
const NODE = table([DIGIT, LOWER, UPPER, "_.:-"]);
const IDENTIFIER_START = table([LOWER, UPPER, "_"]);

/**
 * 1 when every character of `value[from, to)` is in `allowed`, else 0. Branch-free:
 * a code point past the table reads `undefined`, which `&=` turns into 0.
 */
// eslint-disable-next-line max-params -- the innermost loop of validation; an options object would allocate per call
function all(value: string, from: number, to: number, allowed: Uint8Array): number {
  let ok = 1;
  for (let i = from; i < to; i++) ok &= allowed[value.charCodeAt(i)] as number;
  return ok;
}

/**
 * One unsigned compare: below "0" wraps around to a large number. Only for positions
 * inside the string (every caller checks the length first): past the end,
 * `charCodeAt` gives NaN, which `>>> 0` turns into 0, a "digit".
 */
function isDigit(code: number): boolean {
  return (code - 48) >>> 0 < 10;
}

export function isUlid(value: string): boolean {
  return value.length === 26 && all(value, 0, 26, CROCKFORD) === 1;
}

export function isUuid(value: string): boolean {
  return (
    value.length === 36 &&
    value.charCodeAt(8) === 45 &&
    value.charCodeAt(13) === 45 &&
    value.charCodeAt(18) === 45 &&
    value.charCodeAt(23) === 45 &&
    (all(value, 0, 8, HEX) & all(value, 9, 13, HEX) & all(value, 14, 18, HEX) & all(value, 19, 23, HEX) & all(value, 24, 36, HEX)) === 1
  );
}

/**
 * `YYYY-MM-DDTHH:MM:SS(.f{1,9})?Z`, by position. Unrolled: every position is a
 * constant, so there is no loop counter and no layout table to load from (a loop over
 * a table cost twice as much, and this check runs on every event and most frames).
 */
export function isUtcTimestamp(value: string): boolean {
  const length = value.length;
  if (length < 20 || length === 21 || length > 30 || value.charCodeAt(length - 1) !== 90) return false;
  const separators =
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 84 &&
    value.charCodeAt(13) === 58 &&
    value.charCodeAt(16) === 58;
  const digits =
    isDigit(value.charCodeAt(0)) &&
    isDigit(value.charCodeAt(1)) &&
    isDigit(value.charCodeAt(2)) &&
    isDigit(value.charCodeAt(3)) &&
    isDigit(value.charCodeAt(5)) &&
    isDigit(value.charCodeAt(6)) &&
    isDigit(value.charCodeAt(8)) &&
    isDigit(value.charCodeAt(9)) &&
    isDigit(value.charCodeAt(11)) &&
    isDigit(value.charCodeAt(12)) &&
    isDigit(value.charCodeAt(14)) &&
    isDigit(value.charCodeAt(15)) &&
    isDigit(value.charCodeAt(17)) &&
    isDigit(value.charCodeAt(18));
  if (!separators || !digits) return false;
  return length === 20 || (value.charCodeAt(19) === 46 && all(value, 20, length - 1, DIGITS) === 1);
}

/** `[a-z0-9]+(-[a-z0-9]+)*`: no leading, trailing or doubled dash. */
export function isSlug(value: string): boolean {
  const length = value.length;
  if (length === 0 || all(value, 0, length, LOWER_ALNUM_DASH) !== 1) return false;
  if (value.charCodeAt(0) === 45 || value.charCodeAt(length - 1) === 45) return false;
  return !value.includes("--");
}

export function isNodeId(value: string): boolean {
  const length = value.length;
  return length >= 1 && length <= 64 && all(value, 0, length, NODE) === 1;
}

export function isWpId(value: string): boolean {
  return (
    value.length === 4 &&
    value.charCodeAt(0) === 87 &&
    value.charCodeAt(1) === 80 &&
    isDigit(value.charCodeAt(2)) &&
    isDigit(value.charCodeAt(3))
  );
}

/** `[0-9]{3}-[a-z0-9-]+`: after the dash, any mix of lower-case letters, digits and dashes. */
export function isFeatureSlug(value: string): boolean {
  const length = value.length;
  return (
    length >= 5 &&
    value.charCodeAt(3) === 45 &&
    (all(value, 0, 3, DIGITS) & all(value, 4, length, LOWER_ALNUM_DASH)) === 1
  );
}

/** `[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?` */
export function isSemver(value: string): boolean {
  const length = value.length;
  let i = 0;
  for (let part = 0; part < 3; part++) {
    const start = i;
    while (i < length && isDigit(value.charCodeAt(i))) i++;
    if (i === start) return false;
    if (part < 2) {
      if (value.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  if (i === length) return true;
  return value.charCodeAt(i) === 45 && i + 1 < length && all(value, i + 1, length, ALNUM_DOT_DASH) === 1;
}

export function isCommitSha(value: string): boolean {
  const length = value.length;
  return length >= 7 && length <= 64 && all(value, 0, length, LOWER_HEX) === 1;
}

export function isFeatureNumber(value: string): boolean {
  return value.length === 3 && all(value, 0, 3, DIGITS) === 1;
}

/** `[A-Za-z_][A-Za-z0-9_.:-]{0,127}` */
export function isIdentifier(value: string): boolean {
  const length = value.length;
  return length >= 1 && length <= 128 && (all(value, 0, 1, IDENTIFIER_START) & all(value, 1, length, NODE)) === 1;
}

/**
 * A check that remembers the last string it accepted. Strings are immutable, so an
 * equal string is valid too; comparing is a memcmp where scanning is a loop. Used
 * for fields that repeat from event to event (project, node, branch, version);
 * never for ids and timestamps, which differ every time.
 */
export function remembering(check: (value: string) => boolean): (value: string) => boolean {
  let accepted = "";
  return (value) => {
    if (value === accepted && value !== "") return true;
    if (!check(value)) return false;
    accepted = value;
    return true;
  };
}

/** Format name -> check, as Ajv's `format` keyword calls them. */
export const FORMATS = {
  ulid: isUlid,
  uuid: remembering(isUuid),
  "utc-timestamp": isUtcTimestamp,
  slug: remembering(isSlug),
  "node-id": remembering(isNodeId),
  "wp-id": isWpId,
  "feature-slug": remembering(isFeatureSlug),
  semver: remembering(isSemver),
  "commit-sha": remembering(isCommitSha),
  "feature-number": isFeatureNumber,
  identifier: remembering(isIdentifier),
} as const satisfies Record<string, (value: string) => boolean>;

export type FormatName = keyof typeof FORMATS;

/** The pattern each format replaces, for the generator and the property tests. */
export const FORMAT_PATTERNS: Readonly<Record<FormatName, string>> = {
  ulid: ULID_PATTERN,
  uuid: UUID_PATTERN,
  "utc-timestamp": UTC_TIMESTAMP_PATTERN,
  slug: SLUG_PATTERN,
  "node-id": NODE_ID_PATTERN,
  "wp-id": WP_ID_PATTERN,
  "feature-slug": FEATURE_SLUG_PATTERN,
  semver: SEMVER_PATTERN,
  "commit-sha": COMMIT_SHA_PATTERN,
  "feature-number": FEATURE_NUMBER_PATTERN,
  identifier: IDENTIFIER_PATTERN,
};
