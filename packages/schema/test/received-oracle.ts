/**
 * The oracle for `received`, shared by the schema's and the hub's property tests: what
 * an issue must say it received, computed from the value that was sent, independently
 * of src/codec/received.ts; and mutations that turn valid values into invalid ones.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { RECEIVED_MAX_CHARS, type Issue } from "@events/schema";

/** Ajv params that must never reach `received` (the bug: `{"pattern":"^[0-9a-f]..."}`). */
const PARAM_KEYS = /"(pattern|limit|allowedValues?|missingProperty|additionalProperty|comparison|format|tag|mapping)":/;

/** The value at a JSON Pointer, own properties only. */
export function at(root: unknown, pointer: string): { found: boolean; value: unknown } {
  if (pointer === "") return { found: true, value: root };
  let current = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return { found: false, value: undefined };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

/** Holds `received` to the documented form: the whole JSON text, or a prefix of it and `…(+N more)`. */
export function expectReceivedIs(received: string, text: string): void {
  if (text.length <= RECEIVED_MAX_CHARS) {
    expect(received).toBe(text);
    return;
  }
  const match = /^([\s\S]*)…\(\+(\d+) more\)$/.exec(received);
  expect(match, `${received} should be cut and marked`).not.toBeNull();
  const [, kept = "", more = "0"] = match ?? [];
  expect(text.startsWith(kept)).toBe(true);
  expect(kept.length).toBeGreaterThanOrEqual(RECEIVED_MAX_CHARS - 1); // one less only to keep a surrogate pair whole
  expect(kept.length).toBeLessThanOrEqual(RECEIVED_MAX_CHARS);
  expect(kept.length + Number(more)).toBe(text.length);
}

/** `received` is the value at the issue's `path` in `root` (JSON), or `nothing` where there is none. */
export function expectIssueHonest(issue: Issue, root: unknown): void {
  const { found, value } = at(root, issue.path);
  expectReceivedIs(issue.received, found ? JSON.stringify(value) : "nothing");
  // Params can only appear when the value itself carries such a key.
  if (PARAM_KEYS.test(issue.received)) expect(JSON.stringify(value)).toMatch(PARAM_KEYS);
}

export type Path = readonly (string | number)[];

/** Every place in a JSON value, the root included. */
export function places(value: unknown, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...places(item, [...path, index])));
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) out.push(...places(item, [...path, key]));
  return out;
}

export type Mutation =
  | { readonly kind: "set"; readonly place: number; readonly value: unknown }
  | { readonly kind: "delete"; readonly place: number }
  | { readonly kind: "add"; readonly place: number; readonly key: string; readonly value: unknown };

export function mutate(seed: unknown, mutation: Mutation): unknown {
  const holder: Record<string, unknown> = { value: structuredClone(seed) };
  const all = places(holder["value"]);
  const path: Path = ["value", ...(all[mutation.place % all.length] ?? [])];
  const parent = path.slice(0, -1).reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], holder) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  switch (mutation.kind) {
    case "set":
      parent[key] = mutation.value;
      break;
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (path.length > 1) delete parent[key];
      else parent[key] = null; // the root itself: nothing is not JSON
      break;
    case "add": {
      const target = parent[key];
      // An own property even when named __proto__, as JSON.parse makes it.
      if (target !== null && typeof target === "object" && !Array.isArray(target)) {
        Object.defineProperty(target, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
      } else parent[key] = mutation.value;
      break;
    }
  }
  return holder["value"];
}

/** Values that exercise every branch: any JSON, long text (cut), astral characters (cut between pairs). */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ minLength: RECEIVED_MAX_CHARS - 8, maxLength: RECEIVED_MAX_CHARS * 2 }),
  fc.string({ unit: "binary", minLength: RECEIVED_MAX_CHARS / 2 - 4, maxLength: RECEIVED_MAX_CHARS }),
  fc.array(fc.string(), { minLength: 40, maxLength: 80 }),
  fc.constantFrom("not-a-uuid", "WP1", "yesterday", "", -1, 0, 1.5, 1e21, true, null, [], {}),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), place: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("delete" as const), place: fc.nat() }),
  fc.record({ kind: fc.constant("add" as const), place: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("a/b", "~0", "__proto__", "toString")), value: anyValue }),
);

