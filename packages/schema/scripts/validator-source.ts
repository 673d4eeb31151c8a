/**
 * The text of `src/generated/validators.ts` (the boolean checks of the hot path) and
 * of the reference validators (Ajv standalone code, the reference and the source of
 * issues) as `src/generated/reference.cjs` (what Node requires on the first failed
 * check) and `src/generated/reference.js` (the same as an ES module, which the browser
 * build bundles), built from the registry.
 */
import Ajv2020Module from "ajv/dist/2020.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import { transformSync } from "esbuild";
import { UNIONS, membersByTag, namedSchemas } from "../src/schemas/registry.js";
import { referenceNamed, type JsonSchema } from "../src/schemas/primitives/definitions.js";
import { FORMATS, FORMAT_PATTERNS } from "../src/formats.js";
import codegenModule from "ajv/dist/compile/codegen/index.js";
import { compileChecks } from "./check-compiler.js";

// Ajv ships CommonJS with `exports.default`; under NodeNext the default import is the module object.
const Ajv2020 = Ajv2020Module.default;
const standaloneCode = standaloneModule.default;
const { _ } = codegenModule;

/** Ajv options of the generated validators. */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  allowUnionTypes: true,
  discriminator: true,
  // Shared messages are compiled once and called, not copied into every user.
  inlineRefs: false,
} as const;

export interface GeneratedSources {
  /** `src/generated/validators.ts` */
  validators: string;
  /** `src/generated/reference.cjs`, for Node */
  referenceCjs: string;
  /** `src/generated/reference.js`, for bundlers and browsers */
  reference: string;
}

export function generateSources(): GeneratedSources {
  const ajv = new Ajv2020({
    ...AJV_OPTIONS,
    code: { source: true, esm: true, optimize: true, formats: _`__formats` },
    // Issues are built from each error's keyword and params (src/codec/issues.ts), never
    // from Ajv's English message: leaving the messages out shrinks the text by a fifth.
    messages: false,
  });
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check);
  const named = namedSchemas();
  const names = new Set(named.keys());
  const exports: Record<string, string> = {};
  const split = new Map<string, JsonSchema>();
  const referenced = new Set<string>();
  const refFor = (ref: string): string => {
    referenced.add(ref);
    return ref;
  };
  for (const [name, schema] of named) {
    const schemaForAjv = patternsToFormats(referenceNamed(schema, { names, refFor })) as JsonSchema;
    split.set(name, schemaForAjv);
    ajv.addSchema(schemaForAjv, name);
    exports[name] = name;
  }
  // Ajv's code-point counter is a CommonJS runtime helper; the same function, inlined,
  // keeps the module free of imports so that browsers and Node load it alike.
  const code = fastKnownKeys(
    fastLengths(
      standaloneCode(ajv, exports).replace(/require\("ajv\/dist\/runtime\/ucs2length"\)\.default/g, "ucs2length"),
    ),
  );
  if (/\brequire\(/.test(code)) {
    throw new Error("generated validators import an Ajv runtime helper; keep the schemas free of it");
  }
  // The reference validators are only needed when a check fails, so they live in a
  // module of their own that the codec loads on the first failure
  // (src/codec/load-reference.ts): importing the package never parses them.
  const exported: string[] = [];
  const body = code
    .replace(/^"use strict";/, "")
    .replace(/export const (\w+) = (\w+);/g, (_m, name: string, fn: string) => {
      exported.push(name);
      return `const ${name} = ${fn};`;
    });
  if (/\bexport\b/.test(body)) throw new Error("unexpected export left in the Ajv output");
  // Minified: 346 KB instead of 536 KB for the parser to read on that first failure.
  // CommonJS for Node, which can require() it on every version with
  // process.getBuiltinModule (an ES module only from 20.19 and 22.12).
  const source = `function reference(__formats, ucs2length) {"use strict";${body}\nreturn { ${exported.join(", ")} };}`;
  const minify = (format: "esm" | "cjs", code: string): string => {
    const out = transformSync(code, { minify: true, format, target: "es2022" }).code.trim();
    if (!out.includes("Envelope:")) throw new Error(`esbuild minified the reference validators into something unexpected: ${out.slice(0, 80)}`);
    return out;
  };
  const minified = minify("esm", `export ${source}`);
  const minifiedCjs = minify("cjs", `${source}\nmodule.exports = { reference };`);
  const validators = [
    "// @ts-nocheck",
    "/* eslint-disable */",
    `// ${GENERATED_BY}`,
    'import { FORMATS as __formats } from "../formats.js";',
    `export ${UCS2LENGTH}`,
    "// Boolean checks for the hot path; the validators in reference.cjs/.js are the reference and build the issues.",
    compileChecks(split).source,
    `export const UNIONS = ${JSON.stringify(unionTable())};`,
    `export const NESTED_UNION_BY_TAG = ${JSON.stringify(nestedUnions(referenced))};`,
    "",
  ].join("\n");
  const header = [`// ${GENERATED_BY}`, "// Ajv's standalone validators, by message name: loaded on the first failed check."];
  return {
    validators,
    reference: [...header, minified, ""].join("\n"),
    referenceCjs: [...header, minifiedCjs, ""].join("\n"),
  };
}

const GENERATED_BY = "Generated by scripts/generate-validators.ts from src/schemas/registry.ts. Do not edit; run `pnpm generate`.";

const FORMAT_BY_PATTERN = new Map(Object.entries(FORMAT_PATTERNS).map(([format, pattern]) => [pattern, format]));

/** Replaces each named pattern with the format that checks the same strings, faster. */
function patternsToFormats(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(patternsToFormats);
  if (schema === null || typeof schema !== "object") return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    const format = key === "pattern" && typeof value === "string" ? FORMAT_BY_PATTERN.get(value) : undefined;
    if (format === undefined) out[key] = patternsToFormats(value);
    else out["format"] = format;
  }
  return out;
}

/**
 * A string has at most as many code points as UTF-16 units and at least half as
 * many, so most length checks are settled by `.length`; count code points only in
 * between. Same answers as Ajv's plain `ucs2length(x) < n`, without the loop.
 */
function fastLengths(code: string): string {
  const counter = /const (func\d+) = ucs2length;/.exec(code)?.[1];
  if (counter === undefined) return code;
  return code
    .replace(new RegExp(`${counter}\\(([\\w.$]+)\\) > (\\d+)`, "g"), (_m, x: string, n: string) =>
      `(${x}.length > ${n} && (${x}.length > ${Number(n) * 2} || ${counter}(${x}) > ${n}))`,
    )
    .replace(new RegExp(`${counter}\\(([\\w.$]+)\\) < (\\d+)`, "g"), (_m, x: string, n: string) =>
      `(${x}.length < ${n} || (${x}.length < ${Number(n) * 2} && ${counter}(${x}) < ${n}))`,
    );
}

/**
 * Ajv checks a closed object of more than eight properties with
 * `hasOwnProperty.call(schema.properties, key)` per key, which costs more than all
 * the other checks of an envelope together; a chain of `===` on the (interned) keys
 * says the same for a fraction of it.
 */
function fastKnownKeys(code: string): string {
  const schemas = new Map<string, unknown>();
  for (const match of code.matchAll(/const (schema\d+) = /g)) {
    const start = (match.index ?? 0) + match[0].length;
    schemas.set(match[1] ?? "", JSON.parse(code.slice(start, jsonEnd(code, start))) as unknown);
  }
  const hasOwnCall = /func\d+\.call\(((schema\d+)(?:\.[A-Za-z_$][\w$]*)*), (key\d+)\)/g;
  return code.replace(hasOwnCall, (...match: string[]) => {
    const [whole = "", path = "", root = "", key = ""] = match;
    let target: unknown = schemas.get(root);
    for (const part of path.split(".").slice(1)) target = (target as Record<string, unknown> | undefined)?.[part];
    if (target === null || typeof target !== "object") return whole;
    const names = Object.keys(target);
    return names.length === 0 ? "false" : `(${names.map((name) => `${key} === ${JSON.stringify(name)}`).join(" || ")})`;
  });
}

/** Index just past the JSON value that starts at `start`. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error(`unterminated JSON at ${start}`);
}

/** For each union: its tag, and the validator (by title) of each tag value. */
function unionTable(): Record<string, { tag: string; members: Record<string, string> }> {
  return Object.fromEntries(
    UNIONS.map((union) => [
      union.name,
      { tag: union.schema.discriminator.propertyName, members: Object.fromEntries(membersByTag(union.schema)) },
    ]),
  );
}

/**
 * Unions used inside other messages, by tag name, so that an unknown tag deep in a
 * message can still be answered with the list of known ones.
 */
function nestedUnions(referenced: ReadonlySet<string>): Record<string, string> {
  const byTag: Record<string, string> = {};
  for (const union of UNIONS) {
    if (!referenced.has(union.name)) continue;
    const tag = union.schema.discriminator.propertyName;
    if (byTag[tag] !== undefined) throw new Error(`nested unions ${byTag[tag]} and ${union.name} share the tag ${tag}`);
    byTag[tag] = union.name;
  }
  return byTag;
}

/** String length in code points, as JSON Schema counts it (Ajv's runtime helper). */
const UCS2LENGTH = `function ucs2length(str) {
  const len = str.length;
  let length = 0;
  let pos = 0;
  while (pos < len) {
    length++;
    const value = str.charCodeAt(pos++);
    if (value >= 0xd800 && value <= 0xdbff && pos < len && (str.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return length;
}`;
