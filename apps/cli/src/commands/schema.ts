/** `events schema export --out DIR`: JSON Schema and AsyncAPI documents for other languages. */
import { resolve } from "node:path";
import { failure } from "../errors.js";
import { print, printJson } from "../output.js";

export interface SchemaExportOptions {
  out: string;
  json?: boolean;
}

export async function schemaExport(options: SchemaExportOptions): Promise<void> {
  const { writeSchemaExport } = await import("@events/schema/export");
  const dir = resolve(options.out);
  let written: string[];
  try {
    written = await writeSchemaExport(dir);
  } catch (error) {
    throw failure(`could not write the schema to ${dir}: ${(error as Error).message}`, "check that the directory is writable");
  }
  if (options.json === true) printJson({ dir, files: written });
  else print(`wrote ${written.length} files to ${dir}`);
}
