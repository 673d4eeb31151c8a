/**
 * The fast checks, the generated Ajv validators and plain Ajv on the exported JSON
 * Schema must give the same answer for every value: on the golden fixtures, and on
 * values made by mutating them at random.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import Ajv2020Module from "ajv/dist/2020.js";
import { codecs, type MessageName } from "@events/schema";
import { exportJsonSchemas } from "@events/schema/export";
import { FORMATS, FORMAT_PATTERNS, type FormatName } from "../src/formats.js";
import { loadReference } from "../src/codec/load-reference.js";
import * as generated from "../src/generated/validators.js";
import { fixtures } from "./fixtures.js";

const Ajv2020 = Ajv2020Module.default;

/** Plain Ajv (draft 2020-12) over the exported documents, as another team would use it. */
function plainAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true, allowUnionTypes: true });
  const byName = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const { name, schema } of exportJsonSchemas()) {
    if (name !== "bundle") byName.set(name, ajv.compile(schema));
  }
  return byName;
}

const plain = plainAjv();
const validators = loadReference()(FORMATS, generated.ucs2length) as Record<string, (value: unknown) => boolean>;
const unions = generated.UNIONS as Record<string, { tag: string; members: Record<string, string> }>;

function referenceVerdict(message: string, value: unknown): boolean {
  const union = unions[message];
  if (union === undefined) return validators[message]!(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const tag = String((value as Record<string, unknown>)[union.tag]);
  // Own keys only: a tag such as "toString" names no member.
  if (!Object.hasOwn(union.members, tag)) return false;
  return validators[union.members[tag]!]!(value);
}

function agree(message: string, value: unknown): void {
  const codec = codecs[message as MessageName];
  const fast = codec.is(value);
  const decoded = codec.decode(value).ok;
  const reference = referenceVerdict(message, value);
  const exported = plain.get(message)!(value);
  expect({ fast, decoded, reference }).toEqual({ fast: exported, decoded: exported, reference: exported });
}

describe("fast checks, generated validators and plain Ajv agree", () => {
  it.each([...fixtures("valid"), ...fixtures("invalid")].map((f) => [`${f.message}/${f.name}`, f] as const))(
    "on fixture %s",
    (_label, fixture) => {
      agree(fixture.message, fixture.value);
    },
  );

  it("every valid fixture passes plain Ajv on the exported schema, every invalid one fails", () => {
    for (const fixture of fixtures("valid")) expect(plain.get(fixture.message)!(fixture.value), fixture.file).toBe(true);
    for (const fixture of fixtures("invalid")) expect(plain.get(fixture.message)!(fixture.value), fixture.file).toBe(false);
  });

  // Values near the valid ones: replace, remove or add one field anywhere in the tree.
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -3, max: 5 }),
    fc.double({ noNaN: false }),
    fc.constantFrom("", "x", "WP01", "WP1", "doing", "in_progress", "01JD7Z8Q3K5M2N4P6R8T0V2X4Y", "2026-11-20T10:00:00Z", "1.0.0", "a".repeat(257), "😀", "💩".repeat(129)),
    fc.string({ maxLength: 40 }),
    fc.constant({}),
    fc.constant([]),
  );
  const mutate = (value: unknown, path: number[], replacement: unknown, mode: number): unknown => {
    if (value === null || typeof value !== "object") return replacement;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0 || path.length === 0) {
      return Array.isArray(value) ? [...value, replacement] : { ...value, extra_field: replacement };
    }
    const [key, child] = entries[path[0]! % entries.length]!;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
    if (mode === 0 && !Array.isArray(copy)) delete copy[key];
    else (copy as Record<string, unknown>)[key] = mutate(child, path.slice(1), replacement, mode);
    return copy;
  };
  const valid = fixtures("valid");

  it("on random mutations of the valid fixtures", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.nat(), { minLength: 0, maxLength: 5 }),
        leaf,
        fc.nat({ max: 4 }),
        (fixture, path, replacement, mode) => {
          agree(fixture.message, mutate(fixture.value, path, replacement, mode));
        },
      ),
      { numRuns: 4000 },
    );
  });
});

describe("formats accept exactly what their patterns accept", () => {
  const alphabet = fc.constantFrom(..."0123456789abcdefzABCDEFIJLOUZ-_.:T+ Wé😀".split(""), "\uD800", "\uDC00", "--");
  for (const [name, pattern] of Object.entries(FORMAT_PATTERNS) as [FormatName, string][]) {
    it(name, () => {
      const regex = new RegExp(pattern, "u");
      const check = FORMATS[name];
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 70 }).map((chars) => chars.join("")), (value) => {
          expect(check(value)).toBe(regex.test(value));
        }),
        { numRuns: 3000 },
      );
      // and on strings built to be close to valid: valid examples with one character changed
      fc.assert(
        fc.property(fc.stringMatching(regex), fc.nat(), alphabet, (value, at, char) => {
          expect(check(value)).toBe(true);
          const changed = value.slice(0, at % (value.length + 1)) + char + value.slice((at % (value.length + 1)) + 1);
          expect(check(changed)).toBe(regex.test(changed));
        }),
        { numRuns: 3000 },
      );
    });
  }
});
