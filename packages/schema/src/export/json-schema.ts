/**
 * JSON Schema (draft 2020-12) for other languages: one document per message, each
 * self-contained with its named parts under `$defs`, and one bundle with every
 * definition. `$id`s are absolute and stable across releases of the same major
 * version; tagged unions are `oneOf` + `discriminator` on the tag.
 */
import { SCHEMA_VERSION } from "../constants.js";
import { MESSAGES, UNIONS } from "../schemas/registry.js";
import { collectTitled, referenceNamed, type JsonSchema } from "../schemas/primitives/definitions.js";

export const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";
/** Where the documents live; the major version of the envelope is part of it. */
export const SCHEMA_BASE_URI = `https://schemas.events.dev/v${SCHEMA_VERSION.split(".")[0]}/`;
export const BUNDLE_FILE = "events.bundle.schema.json";

export interface ExportedSchema {
  /** File name, e.g. `Envelope.schema.json`. */
  readonly file: string;
  /** The message name (or `bundle`). */
  readonly name: string;
  readonly schema: JsonSchema;
}

/** Every top-level message, unions first, in registry order. */
export function topLevelMessages(): { name: string; schema: unknown }[] {
  return [...UNIONS, ...MESSAGES].map(({ name, schema }) => ({ name, schema: plain(schema) }));
}

/** One document per message plus the bundle, in a stable order. */
export function exportJsonSchemas(): ExportedSchema[] {
  const documents: ExportedSchema[] = topLevelMessages().map(({ name, schema }) => ({
    file: `${name}.schema.json`,
    name,
    schema: messageDocument(name, schema),
  }));
  documents.push({ file: BUNDLE_FILE, name: "bundle", schema: bundleDocument() });
  return documents;
}

function messageDocument(name: string, schema: unknown): JsonSchema {
  const titled = collectTitled(schema);
  titled.delete(name);
  const names = new Set(titled.keys());
  const refFor = (ref: string): string => `#/$defs/${ref}`;
  const root = referenceNamed(schema, { names, refFor }) as JsonSchema;
  const defs = Object.fromEntries(
    [...titled.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([title, definition]) => [title, referenceNamed(definition, { names, refFor })]),
  );
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: `${SCHEMA_BASE_URI}${name}.schema.json`,
    ...root,
    ...(names.size > 0 ? { $defs: defs } : {}),
  };
}

function bundleDocument(): JsonSchema {
  const all = new Map<string, unknown>();
  for (const { schema } of topLevelMessages()) collectTitled(schema, all);
  const names = new Set(all.keys());
  const refFor = (ref: string): string => `#/$defs/${ref}`;
  const top = topLevelMessages().map(({ name }) => ({ $ref: refFor(name) }));
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: `${SCHEMA_BASE_URI}${BUNDLE_FILE}`,
    title: "EventsBundle",
    description: `Every message of @events ${SCHEMA_VERSION}; each top-level message is one of these.`,
    anyOf: top,
    $defs: Object.fromEntries(
      [...all.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([title, definition]) => [title, referenceNamed(definition, { names, refFor })]),
    ),
  };
}

/** A plain JSON copy: TypeBox's symbol keys dropped. */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema)) as unknown;
}
