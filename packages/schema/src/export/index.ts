/** `@events/schema/export`: JSON Schema and AsyncAPI documents for other languages. */
export {
  exportJsonSchemas,
  topLevelMessages,
  JSON_SCHEMA_DIALECT,
  SCHEMA_BASE_URI,
  BUNDLE_FILE,
} from "./json-schema.js";
export type { ExportedSchema } from "./json-schema.js";
export { exportAsyncApi } from "./asyncapi.js";
export { writeSchemaExport, ASYNCAPI_FILE } from "./write.js";
