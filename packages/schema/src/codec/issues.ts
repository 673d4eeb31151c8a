/**
 * Turns the errors of a generated validator into issues a person can act on: where
 * (a JSON Pointer), what was expected, what came. `received` is always the value found
 * at `path` (see received.ts), never the validator's params. Runs only on the failure path.
 */
import type { Issue } from "../schemas/protocol/issue.js";
import { issuePath, receivedText } from "./received.js";
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
} from "../patterns.js";
import { FORMAT_PATTERNS, type FormatName } from "../formats.js";

export type { Issue };

/** The subset of an Ajv error the generated validators produce. */
export interface ValidatorError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

const PATTERN_NAMES: ReadonlyMap<string, string> = new Map([
  [ULID_PATTERN, "a ULID (26 characters of Crockford base32)"],
  [UUID_PATTERN, "a UUID"],
  [UTC_TIMESTAMP_PATTERN, "an RFC 3339 UTC timestamp such as 2026-11-20T10:00:00.000Z"],
  [SEMVER_PATTERN, "a semantic version such as 1.0.0"],
  [SLUG_PATTERN, "a kebab-case slug"],
  [NODE_ID_PATTERN, "a node id (1-64 of A-Z a-z 0-9 _ . : -)"],
  [WP_ID_PATTERN, "a work-package id such as WP01"],
  [FEATURE_SLUG_PATTERN, "a feature slug such as 028-cli-event-emission"],
  [COMMIT_SHA_PATTERN, "a lower-case hex commit sha of 7 to 64 characters"],
  [FEATURE_NUMBER_PATTERN, "a three-digit feature number such as 028"],
  [IDENTIFIER_PATTERN, "an identifier (a letter or _, then letters, digits, _ . : -)"],
]);

/** Which tag values a union knows, for answering an unknown one. */
export type KnownTags = (tagProperty: string) => readonly string[] | undefined;

export function issuesFromErrors(
  errors: readonly ValidatorError[],
  root: unknown,
  knownTags: KnownTags,
): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // An anyOf's own error adds nothing when its branches already said what fits here.
    if (error.keyword === "anyOf" && errors.some((other) => other !== error && other.instancePath === error.instancePath)) continue;
    const issue = issueFromError(error, root, knownTags);
    if (issue === undefined) continue;
    const key = `${issue.path}\u0000${issue.expected}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function issueFromError(error: ValidatorError, root: unknown, knownTags: KnownTags): Issue | undefined {
  const { keyword, params } = error;
  let path = error.instancePath;
  let value = valueAt(root, path);
  let expected: string;
  /** Said after `received` in the message only: how long the value was. */
  let size = "";
  switch (keyword) {
    case "if":
      return undefined; // the failing `then` branch reports the real problem
    case "required":
      path = `${path}/${escapePointer(String(params["missingProperty"]))}`;
      value = undefined;
      expected = "a value (required)";
      break;
    case "additionalProperties": {
      // The path names the extra property and `received` is its value.
      const name = String(params["additionalProperty"]);
      path = `${path}/${escapePointer(name)}`;
      value = ownValue(value, name);
      expected = "no such property (not in the schema)";
      break;
    }
    case "type":
      expected = String(params["type"]).split(",").join(" or ");
      break;
    case "enum":
      expected = `one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "const":
      expected = JSON.stringify(params["allowedValue"]);
      break;
    case "pattern":
    case "format": {
      // The generated validators check named patterns as formats; name them alike.
      const format = FORMAT_PATTERNS[String(params["format"]) as FormatName] as string | undefined;
      const pattern = format ?? String(params["pattern"] ?? params["format"]);
      expected = PATTERN_NAMES.get(pattern) ?? `a string matching /${pattern}/`;
      break;
    }
    case "minLength":
    case "maxLength":
      expected = `${keyword === "minLength" ? "at least" : "at most"} ${String(params["limit"])} characters`;
      if (typeof value === "string") size = ` (${[...value].length} characters)`;
      break;
    case "minItems":
    case "maxItems":
      expected = `${keyword === "minItems" ? "at least" : "at most"} ${String(params["limit"])} items`;
      if (Array.isArray(value)) size = ` (${value.length} items)`;
      break;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      expected = `a number ${String(params["comparison"])} ${String(params["limit"])}`;
      break;
    case "discriminator": {
      const tag = String(params["tag"]);
      const known = knownTags(tag);
      path = `${path}/${escapePointer(tag)}`;
      value = ownValue(value, tag);
      expected = known === undefined ? `a known ${tag}` : `one of ${known.join(", ")}`;
      break;
    }
    case "anyOf":
      expected = "a value of one of the allowed forms";
      break;
    default:
      expected = `a value that passes the schema's ${keyword} check`;
  }
  const received = receivedText(value);
  const shown = issuePath(path);
  return { path: shown, expected, received, message: `${shown === "" ? "(root)" : shown}: expected ${expected}, received ${received}${size}` };
}

/** @deprecated The same as `receivedText`: how an issue writes the value it received. */
export const describe: (value: unknown) => string = receivedText;

/** A property of an object, not of its prototype (`toString` is not a property of `{}`). */
function ownValue(value: unknown, name: string): unknown {
  if (value === null || typeof value !== "object" || !Object.hasOwn(value, name)) return undefined;
  return (value as Record<string, unknown>)[name];
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let current: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    current = ownValue(current, raw.replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  return current;
}
