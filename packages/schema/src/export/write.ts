/** Writes the JSON Schema documents and the AsyncAPI document into a directory. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportAsyncApi } from "./asyncapi.js";
import { exportJsonSchemas } from "./json-schema.js";

export const ASYNCAPI_FILE = "asyncapi.json";

/** Writes every document into `dir` (created when missing); returns the paths written. */
export async function writeSchemaExport(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const { file, schema } of exportJsonSchemas()) {
    const path = join(dir, file);
    await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`);
    written.push(path);
  }
  const asyncapi = join(dir, ASYNCAPI_FILE);
  await writeFile(asyncapi, `${JSON.stringify(exportAsyncApi(), null, 2)}\n`);
  written.push(asyncapi);
  return written;
}
