/**
 * `pnpm schema:export <dir>`: writes the JSON Schema and AsyncAPI documents.
 * Exit codes: 0 written, 1 failed, 2 usage.
 */
import { resolve } from "node:path";
import { writeSchemaExport } from "./write.js";

const [dir, ...rest] = process.argv.slice(2);
if (dir === undefined || dir === "--help" || dir === "-h" || rest.length > 0) {
  process.stderr.write("usage: pnpm schema:export <dir>\n  writes one JSON Schema per message, a bundle and asyncapi.json into <dir>\n");
  process.exitCode = dir === "--help" || dir === "-h" ? 0 : 2;
} else {
  try {
    const written = await writeSchemaExport(resolve(process.env["INIT_CWD"] ?? process.cwd(), dir));
    process.stdout.write(`wrote ${written.length} files to ${resolve(process.env["INIT_CWD"] ?? process.cwd(), dir)}\n`);
  } catch (error) {
    process.stderr.write(`schema export failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
