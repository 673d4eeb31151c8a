/**
 * Compact schema forms. A union of string literals as `enum` and a nullable string
 * as `type: ["string", "null"]` mean the same as TypeBox's `anyOf` forms, but compile
 * to a single check instead of one branch per member, and read better in generated
 * code for other languages.
 */
import { Type, type SchemaOptions, type TString, type TUnsafe } from "@sinclair/typebox";

/** One of a fixed set of strings. */
export function StringEnum<const Values extends readonly string[]>(
  values: Values,
  options: SchemaOptions = {},
): TUnsafe<Values[number]> & { readonly enum: Values } {
  return Type.Unsafe<Values[number]>({ ...options, type: "string", enum: [...values] }) as TUnsafe<
    Values[number]
  > & { readonly enum: Values };
}

/** A string with the given constraints, or `null`. */
export function NullableString(schema: TString): TUnsafe<string | null> {
  // The title names the non-null shape (e.g. Ulid); keeping it would let the export
  // replace this nullable copy with a reference to the non-null one.
  const { type: _type, title: _title, ...constraints } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return Type.Unsafe<string | null>({ ...constraints, type: ["string", "null"] });
}

/** A JSON object whose shape the schema does not fix. */
export function OpenObject(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: "object" });
}
