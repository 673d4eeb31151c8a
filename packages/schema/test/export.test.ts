import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import Ajv2020Module from "ajv/dist/2020.js";
import { Parser } from "@asyncapi/parser";
import {
  ASYNCAPI_FILE,
  BUNDLE_FILE,
  exportAsyncApi,
  exportJsonSchemas,
  JSON_SCHEMA_DIALECT,
  writeSchemaExport,
} from "@events/schema/export";
import { fixtures } from "./fixtures.js";

const Ajv2020 = Ajv2020Module.default;
const documents = exportJsonSchemas();

describe("JSON Schema export", () => {
  it("writes one document per message, a bundle and the AsyncAPI document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-export-"));
    try {
      const written = await writeSchemaExport(dir);
      expect(written).toHaveLength(documents.length + 1);
      expect(readdirSync(dir).sort()).toEqual([...documents.map((d) => d.file), ASYNCAPI_FILE].sort());
      expect(JSON.parse(readFileSync(join(dir, BUNDLE_FILE), "utf8"))).toEqual(documents.at(-1)?.schema);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every document validates against the draft 2020-12 meta-schema", () => {
    const ajv = new Ajv2020({ strict: false });
    for (const { file, schema } of documents) {
      expect(schema["$schema"], file).toBe(JSON_SCHEMA_DIALECT);
      expect(ajv.validateSchema(schema), `${file}: ${JSON.stringify(ajv.errors)}`).toBe(true);
    }
  });

  it("has stable absolute $ids, $defs and oneOf + discriminator on the tag", () => {
    const ids = documents.map(({ schema }) => schema["$id"] as string);
    for (const id of ids) expect(id).toMatch(/^https:\/\/schemas\.events\.dev\/v1\/[A-Za-z.]+\.schema\.json$/);
    expect(new Set(ids).size).toBe(ids.length);
    const envelope = documents.find((d) => d.name === "Envelope")!.schema;
    expect(envelope["discriminator"]).toEqual({ propertyName: "event_type" });
    expect((envelope["oneOf"] as unknown[]).length).toBe(13);
    expect(Object.keys(envelope["$defs"] as object)).toContain("WPStatusChangedEvent");
  });

  it("compiles in plain Ajv's strict mode, together, with cross-document $ids", () => {
    const ajv = new Ajv2020({ strict: true, discriminator: true, allowUnionTypes: true });
    for (const { schema } of documents) ajv.addSchema(schema);
    for (const { schema } of documents) expect(() => ajv.getSchema(schema["$id"] as string)).not.toThrow();
  });

  it("is pinned by a snapshot", async () => {
    await expect(`${JSON.stringify(documents, null, 2)}\n`).toMatchFileSnapshot("./__snapshots__/json-schema-export.json");
  });
});

describe("AsyncAPI export", () => {
  it("is a valid AsyncAPI 3 document (by @asyncapi/parser)", async () => {
    const parser = new Parser();
    const { document, diagnostics } = await parser.parse(JSON.stringify(exportAsyncApi()));
    const errors = diagnostics.filter((diagnostic) => Number(diagnostic.severity) === 0 /* error */);
    expect(errors.map((error) => `${error.path.join(".")}: ${error.message}`)).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    const channels = document?.channels().all().map((channel) => channel.address());
    expect(channels).toEqual(
      expect.arrayContaining(["/api/v1/ws", "/api/v1/sessions/{sessionId}/events", "/api/v1/problems/events", "/api/events"]),
    );
    expect(document?.messages().all().length).toBeGreaterThanOrEqual(20);
  });
});

describe("golden fixtures", () => {
  // Shapes that only ever travel inside other messages, and are covered there.
  const EMBEDDED = new Set(["bundle", "EventResult", "Finding", "Issue", "Limits", "ProblemsSnapshotPayload"]);

  it("cover every top-level message and every event type", () => {
    const valid = fixtures("valid");
    const messages = new Set(valid.map((f) => f.message));
    for (const { name } of documents) if (!EMBEDDED.has(name)) expect(messages, name).toContain(name);
    const envelope = documents.find((d) => d.name === "Envelope")!.schema;
    const eventTypes = (envelope["properties"] as { event_type: { enum: string[] } }).event_type.enum;
    const seen = new Set(valid.filter((f) => f.message === "Envelope").map((f) => (f.value as { event_type: string }).event_type));
    expect([...seen].sort()).toEqual([...eventTypes].sort());
  });
});
