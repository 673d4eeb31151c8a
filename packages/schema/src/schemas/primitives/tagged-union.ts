/**
 * A union discriminated by one property. The schema is `oneOf` + `discriminator`,
 * so Ajv dispatches on the tag in O(1) instead of trying each member in turn, and the
 * JSON Schema export carries the tag for code generators; the static type is the
 * plain TypeScript union of the members, so `switch (x.kind)` narrows as usual.
 */
import { Type, type Static, type TObject, type TSchema, type TUnsafe } from "@sinclair/typebox";

export interface TaggedUnionOptions {
  /** Name of the union in the JSON Schema export and in generated code. */
  title: string;
  description?: string;
}

export type TTaggedUnion<Members extends readonly TObject[]> = TUnsafe<
  Static<Members[number]>
> & {
  readonly oneOf: Members;
  readonly discriminator: { readonly propertyName: string };
};

export function TaggedUnion<const Members extends readonly TObject[]>(
  tag: string,
  members: Members,
  options: TaggedUnionOptions,
): TTaggedUnion<Members> {
  for (const member of members) {
    const tagSchema: TSchema | undefined = member.properties[tag];
    if (tagSchema === undefined || tagSchema["const"] === undefined) {
      throw new TypeError(`member ${String(member["title"])} of ${options.title} has no const "${tag}"`);
    }
  }
  const tags = members.map((member) => member.properties[tag]?.["const"] as unknown);
  return Type.Unsafe<Static<Members[number]>>({
    ...options,
    type: "object",
    // Declaring the tag here keeps the schema valid under Ajv's strict mode and names
    // every tag value in one place for readers of the exported schema.
    properties: { [tag]: { type: "string", enum: tags } },
    required: [tag],
    discriminator: { propertyName: tag },
    oneOf: members,
  }) as TTaggedUnion<Members>;
}

/** The tag values of a tagged union, in declaration order. */
export function tagsOf(union: { oneOf: readonly TObject[]; discriminator: { propertyName: string } }): string[] {
  const tag = union.discriminator.propertyName;
  return union.oneOf.map((member) => String(member.properties[tag]?.["const"]));
}
