/**
 * The export is usable elsewhere: quicktype generates Python from the exported JSON
 * Schema, and python3 loads every valid fixture through the generated code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FetchingJSONSchemaStore, InputData, JSONSchemaInput, quicktype } from "quicktype-core";
import { exportJsonSchemas } from "@events/schema/export";
import { fixtures } from "./fixtures.js";

const MESSAGES = ["Envelope", "SessionFrame", "ProblemsFrame", "ClientFrame", "HubFrame", "BatchRequest", "BatchResponse", "ErrorResponse", "EventPage", "MachineDatagram", "MachineControlMessage"];

async function pythonModule(): Promise<string> {
  const input = new JSONSchemaInput(new FetchingJSONSchemaStore());
  for (const { name, schema } of exportJsonSchemas()) {
    if (MESSAGES.includes(name)) await input.addSource({ name, schema: JSON.stringify(schema) });
  }
  const data = new InputData();
  data.addInput(input);
  const result = await quicktype({ inputData: data, lang: "python", rendererOptions: { "python-version": "3.7" } });
  return result.lines.join("\n");
}

const snake = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

describe("other languages", () => {
  it("python3 loads every valid fixture through quicktype's generated code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "events-python-"));
    try {
      writeFileSync(join(dir, "events_types.py"), await pythonModule());
      const cases = fixtures("valid").filter((f) => MESSAGES.includes(f.message));
      expect(cases.length).toBeGreaterThan(30);
      const script = [
        "import json, sys",
        "import events_types as t",
        "cases = json.loads(sys.argv[1])",
        "for message, path in cases:",
        "    with open(path) as f:",
        "        value = json.load(f)",
        "    loaded = getattr(t, message + '_from_dict')(value)",
        "    back = getattr(t, message + '_to_dict')(loaded)",
        "    assert isinstance(back, dict), path",
        "print('loaded', len(cases))",
      ].join("\n");
      writeFileSync(join(dir, "load.py"), script);
      const args = JSON.stringify(cases.map((f) => [snake(f.message), f.file]));
      const out = execFileSync("python3", [join(dir, "load.py"), args], { cwd: dir, encoding: "utf8" });
      expect(out.trim()).toBe(`loaded ${cases.length}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
