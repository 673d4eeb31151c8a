/**
 * What a class generated for Python or Go cannot hold, read from the exported schema:
 * the null of an optional property (its reader gets `None` for absent and null alike,
 * and its writer leaves `None` out) and the properties an open object does not name
 * (a class has a field per named property only). Everything else must come back.
 */

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function resolve(document: Schema, schema: unknown): Schema {
  let current = schema as Schema;
  while (typeof current["$ref"] === "string") {
    current = (document["$defs"] as Record<string, Schema>)[current["$ref"].replace("#/$defs/", "")]!;
  }
  return current;
}

/** The member of a tagged union that `value`'s tag names, as the union's discriminator says. */
function variantOf(document: Schema, schema: Schema, value: Record<string, unknown>): Schema | undefined {
  const tag = (schema["discriminator"] as { propertyName?: string } | undefined)?.propertyName;
  if (tag === undefined || !Array.isArray(schema["oneOf"])) return undefined;
  return schema["oneOf"]
    .map((option) => resolve(document, option))
    .find((member) => (member["properties"] as Record<string, Schema> | undefined)?.[tag]?.["const"] === value[tag]);
}

/**
 * `original` (a value valid against `schema` in `document`) without what a generated
 * class cannot hold and `back`, the value written back, left out.
 */
export function withoutClassLimits(document: Schema, schema: unknown, original: unknown, back: unknown): unknown {
  const at = resolve(document, schema);
  if (Array.isArray(original)) {
    const items = at["items"];
    return original.map((item, index) =>
      items === undefined ? item : withoutClassLimits(document, items, item, Array.isArray(back) ? back[index] : undefined),
    );
  }
  if (!isObject(original)) return original;
  const variant = variantOf(document, at, original);
  if (variant !== undefined) return withoutClassLimits(document, variant, original, back);
  const properties = at["properties"] as Record<string, unknown> | undefined;
  if (properties === undefined) return original; // a free-form object is a map, held whole
  const required = new Set(at["required"] as string[] | undefined);
  const open = at["additionalProperties"] !== false;
  const written = isObject(back) ? back : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(original)) {
    const named = Object.hasOwn(properties, key);
    const unheld = named ? value === null && !required.has(key) : open;
    if (unheld && !Object.hasOwn(written, key)) continue;
    out[key] = named ? withoutClassLimits(document, properties[key], value, written[key]) : value;
  }
  return out;
}
