/**
 * The export validates in Python: Debian's python3-jsonschema (run with
 * /usr/bin/python3, as CI installs it) accepts or rejects every golden fixture,
 * valid and invalid, exactly as our codec does. The codec is the truth, so added
 * fixtures need no change here.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtures, type Fixture } from "../fixtures.js";
import { EXPORT_DIR, codecAccepts, exportWorkspace, missingTool, requireTool } from "./toolchain.js";

const PYTHON = "/usr/bin/python3";
const DRIVER = fileURLToPath(new URL("./jsonschema_verdicts.py", import.meta.url));
const jsonschemaMissing = missingTool(PYTHON, ["-c", "import jsonschema"], `Debian's python3-jsonschema (${PYTHON} with jsonschema)`);

const byMessage = new Map<string, (Fixture & { kind: "valid" | "invalid" })[]>();
for (const kind of ["valid", "invalid"] as const) {
  for (const fixture of fixtures(kind)) byMessage.set(fixture.message, [...(byMessage.get(fixture.message) ?? []), { ...fixture, kind }]);
}

describe("Python's jsonschema on the exported documents", () => {
  let workspace: Awaited<ReturnType<typeof exportWorkspace>>;

  beforeAll(async () => {
    workspace = await exportWorkspace();
  });
  afterAll(() => workspace.remove());

  it.for([...byMessage.entries()])("%s: the same verdict as our codec on every fixture", ([message, cases], context) => {
    requireTool(context, jsonschemaMissing);
    const schemaFile = join(workspace.dir, EXPORT_DIR, `${message}.schema.json`);
    const output = execFileSync(PYTHON, [DRIVER, schemaFile, ...cases.map((c) => c.file)], { encoding: "utf8" });
    const { validator, verdicts } = JSON.parse(output) as { validator: string; verdicts: { file: string; valid: boolean }[] };
    expect(validator).toBe("Draft202012Validator");
    expect(verdicts.map((verdict) => verdict.file)).toEqual(cases.map((c) => c.file));
    for (const [index, { valid }] of verdicts.entries()) {
      const fixture = cases[index]!;
      const codec = codecAccepts(message, fixture.value);
      expect({ jsonschema: valid }, `${fixture.kind}/${message}/${fixture.name}: ${codec.issues.join("; ")}`).toEqual({ jsonschema: codec.ok });
      expect(codec.ok, `${fixture.kind}/${message}/${fixture.name}`).toBe(fixture.kind === "valid");
    }
  });
});
