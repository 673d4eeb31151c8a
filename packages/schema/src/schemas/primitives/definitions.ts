/**
 * Splits a schema tree into named definitions: every subschema whose `title` is one
 * of `names` is replaced by a `$ref` to that name. The validator generator uses it so
 * that a shared message is compiled once and called, and the JSON Schema export so
 * that each named shape appears once under `$defs`.
 */

export type JsonSchema = Record<string, unknown>;

export interface SplitOptions {
  /** Titles that become references. */
  names: ReadonlySet<string>;
  /** The reference for a name. */
  refFor: (name: string) => string;
}

/** A plain JSON copy of a schema with the named subschemas replaced by references. */
export function referenceNamed(schema: unknown, options: SplitOptions, isRoot = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => referenceNamed(item, options, false));
  if (schema === null || typeof schema !== "object") return schema;
  const title = (schema as JsonSchema)["title"];
  if (!isRoot && typeof title === "string" && options.names.has(title)) {
    return { $ref: options.refFor(title) };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` and `$defs` map names to schemas; their keys are not keywords.
    out[key] = referenceNamed(value, options, false);
  }
  return out;
}

/** Every titled subschema of a tree, by title (the first one seen wins). */
export function collectTitled(schema: unknown, into = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(schema)) {
    for (const item of schema) collectTitled(item, into);
    return into;
  }
  if (schema === null || typeof schema !== "object") return into;
  const title = (schema as JsonSchema)["title"];
  if (typeof title === "string" && !into.has(title)) into.set(title, schema);
  for (const value of Object.values(schema)) collectTitled(value, into);
  return into;
}
