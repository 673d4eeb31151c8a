/**
 * Codecs over the generated validators. `decode` never throws: it returns the typed
 * value or a readonly list of issues. A union is dispatched on its tag with one map
 * lookup, so validating the last member costs what validating the first does.
 */
import { FORMATS } from "../formats.js";
import * as generated from "../generated/validators.js";
import { issuesFromErrors, type Issue, type ValidatorError } from "./issues.js";
import { receivedText } from "./received.js";
import { loadReference } from "./load-reference.js";

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export interface Codec<T> {
  /** The message's name in the JSON Schema export. */
  readonly name: string;
  /** Checks an already-parsed value; never throws. */
  readonly decode: (input: unknown) => DecodeResult<T>;
  /** Parses JSON text (or UTF-8 bytes) and checks it; never throws. */
  readonly decodeJson: (text: string | Uint8Array) => DecodeResult<T>;
  /** True when the value is valid, without building issues or copies. */
  readonly is: (input: unknown) => input is T;
  /** JSON text of a value; `decodeJson(encode(x))` gives back `x`. */
  readonly encode: (value: T) => string;
}

type Validate = ((data: unknown) => boolean) & { errors?: ValidatorError[] | null };
type Check = (data: unknown) => boolean;

let reference: Record<string, Validate> | undefined;
/** Why the reference validators could not be loaded, remembered: one attempt per process. */
let unavailable: Error | undefined;
/** Ajv's validators: the reference, and the source of issues; loaded on the first failed check. */
function validators(): Record<string, Validate> {
  if (reference !== undefined) return reference;
  if (unavailable !== undefined) throw unavailable;
  try {
    reference = loadReference()(FORMATS, generated.ucs2length);
    return reference;
  } catch (error) {
    unavailable = error instanceof Error ? error : new Error(String(error));
    throw unavailable;
  }
}

/** Why the issues of failed decodes cannot be listed, or undefined when they can. */
export function referenceUnavailable(): Error | undefined {
  return unavailable;
}
/** Boolean checks compiled for speed; they agree with the validators (property-tested). */
const checks = generated.CHECKS as Record<string, Check>;
const unions = generated.UNIONS as Record<string, { tag: string; members: Record<string, string> }>;
const nestedByTag = generated.NESTED_UNION_BY_TAG as Record<string, string>;
const decoder = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

function knownTags(tagProperty: string): readonly string[] | undefined {
  const union = nestedByTag[tagProperty];
  return union === undefined ? undefined : Object.keys(unions[union]?.members ?? {});
}

function failure(issues: readonly Issue[]): { ok: false; issues: readonly Issue[] } {
  return { ok: false, issues: Object.freeze(issues) };
}

/** An issue whose `received` is `value` (see received.ts); a `note` ends the message only. */
function issue(path: string, expected: string, found: { value: unknown; note?: string }): Issue {
  const received = receivedText(found.value);
  const note = found.note === undefined ? "" : ` (${found.note})`;
  return { path, expected, received, message: `${path === "" ? "(root)" : path}: expected ${expected}, received ${received}${note}` };
}

interface Member {
  readonly name: string;
  check: Check;
  /** The reference validator, looked up on first use. */
  readonly validate: Validate;
}

function member(name: string): Member {
  const check = checks[name];
  if (check === undefined) throw new Error(`no generated check named ${name}; run pnpm generate`);
  let validate: Validate | undefined;
  return {
    name,
    check,
    get validate(): Validate {
      validate ??= validators()[name];
      if (validate === undefined) throw new Error(`no generated validator named ${name}; run pnpm generate`);
      return validate;
    },
  };
}

/** The slow path: ask the reference validator, and build issues when it agrees the value is bad. */
function explain<T>(target: Member, input: unknown, normalise: ((value: T) => T) | undefined): DecodeResult<T> {
  let validate: Validate;
  try {
    validate = target.validate;
  } catch {
    // Still a failure, and still structured: only the detail is missing. The note is
    // fixed (it travels back to producers), the reason is kept: referenceUnavailable().
    const note = "its issues cannot be listed here: the reference validators are not available";
    return failure([issue("", `a valid ${target.name}`, { value: input, note })]);
  }
  try {
    if (validate(input)) return { ok: true, value: normalise === undefined ? (input as T) : normalise(input as T) };
    return failure(issuesFromErrors(validate.errors ?? [], input, knownTags));
  } catch (error) {
    return failure([issue("", "a plain JSON value", { value: input, note: `it threw while read: ${String(error)}` })]);
  }
}

/** The hot path: one boolean check and one result object. */
function run<T>(target: Member, input: unknown, normalise: ((value: T) => T) | undefined): DecodeResult<T> {
  if (safely(target.check, input)) {
    return { ok: true, value: normalise === undefined ? (input as T) : normalise(input as T) };
  }
  return explain(target, input, normalise);
}

function safely(check: Check, input: unknown): boolean {
  try {
    return check(input);
  } catch {
    return false;
  }
}

function parse(text: string | Uint8Array): { ok: true; value: unknown } | { ok: false; issues: readonly Issue[] } {
  try {
    const source = typeof text === "string" ? text : decoder.decode(text);
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    // What came is the text itself (bytes that are not UTF-8 shown with U+FFFD in their place).
    const source = typeof text === "string" ? text : lenient.decode(text);
    const reason = error instanceof Error ? error.message : String(error);
    return failure([issue("", "JSON text", { value: source, note: reason })]);
  }
}

interface CodecSpec<T> {
  name: string;
  /** Checks and normalises. */
  decode: (input: unknown) => DecodeResult<T>;
  is: (input: unknown) => boolean;
}

function makeCodec<T>(spec: CodecSpec<T>): Codec<T> {
  const { decode } = spec;
  return {
    name: spec.name,
    decode,
    decodeJson: (text) => {
      const parsed = parse(text);
      return parsed.ok ? decode(parsed.value) : parsed;
    },
    is: (input): input is T => spec.is(input),
    encode: (value) => JSON.stringify(value),
  };
}

/** A codec for a message that is not a union. */
export function messageCodec<T>(name: string, normalise?: (value: T) => T): Codec<T> {
  const target = member(name);
  return makeCodec<T>({
    name,
    decode: (input) => run<T>(target, input, normalise),
    is: (input) => safely(target.check, input),
  });
}

/** A codec for a tagged union: one lookup on the tag, then that member's validator. */
export function unionCodec<T>(name: string, normalise?: (value: T) => T): Codec<T> {
  const union = unions[name];
  if (union === undefined) throw new Error(`no generated union named ${name}; run pnpm generate`);
  const { tag } = union;
  const byTag = new Map<string, Member>();
  for (const [value, title] of Object.entries(union.members)) byTag.set(value, member(title));
  const known = [...byTag.keys()];
  const pick = (input: unknown): Member | undefined => {
    if (input === null || typeof input !== "object" || Array.isArray(input)) return undefined;
    const value = (input as Record<string, unknown>)[tag];
    return typeof value === "string" ? byTag.get(value) : undefined;
  };
  const decode = (input: unknown): DecodeResult<T> => {
    let target: Member | undefined;
    try {
      target = pick(input);
    } catch (error) {
      return failure([issue("", "a plain JSON value", { value: input, note: `it threw while read: ${String(error)}` })]);
    }
    if (target !== undefined) return run<T>(target, input, normalise);
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      return failure([issue("", `an object (${name})`, { value: input })]);
    }
    const value = (input as Record<string, unknown>)[tag];
    const found = value === undefined ? { value } : { value, note: `an unknown ${tag}` };
    return failure([issue(`/${tag}`, `one of ${known.join(", ")}`, found)]);
  };
  return makeCodec<T>({
    name,
    decode,
    is: (input) => {
      try {
        return pick(input)?.check(input) === true;
      } catch {
        return false;
      }
    },
  });
}
