/**
 * Compiles the registry's schemas into plain boolean checks: straight-line code that
 * answers "valid?" and nothing else, for the hot path. Errors are never built here;
 * when a check fails the codec asks the Ajv validator (the reference) for the issues,
 * and a property test holds the two to the same answers.
 *
 * Only the JSON Schema keywords the registry uses are supported; any other keyword
 * stops the build, so a schema can never be checked more loosely than Ajv checks it.
 */
import { FORMATS } from "../src/formats.js";
import type { JsonSchema } from "../src/schemas/primitives/definitions.js";

const ANNOTATIONS = new Set(["title", "description", "$id", "$schema", "default", "examples"]);
const HANDLED = new Set([
  "type",
  "enum",
  "const",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "items",
  "properties",
  "required",
  "additionalProperties",
  "oneOf",
  "discriminator",
  "allOf",
  "anyOf",
  "if",
  "then",
  "$ref",
]);

type Named = ReadonlyMap<string, JsonSchema>;

export interface CompiledChecks {
  /** The module's text. */
  source: string;
}

/** Emits `check_<Name>` for every named schema, and a `CHECKS` table by name. */
export function compileChecks(named: Named): CompiledChecks {
  const compiler = new Compiler(named);
  const functions = [...named.entries()].map(([name, schema]) => compiler.named(name, schema));
  const table = [...named.keys()].map((name) => `  ${JSON.stringify(name)}: ${functionName(name)},`).join("\n");
  const formatNames = [...compiler.formatsUsed].sort();
  const imports = formatNames.length === 0 ? "" : `const { ${formatNames.map((f) => `${JSON.stringify(f)}: ${formatVar(f)}`).join(", ")} } = __formats;`;
  return {
    source: [
      imports,
      ...compiler.constants,
      ...compiler.helpers,
      ...functions,
      `export const CHECKS = {\n${table}\n};`,
    ].join("\n"),
  };
}

function functionName(name: string): string {
  return `check_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function formatVar(format: string): string {
  return `format_${format.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

class Compiler {
  readonly constants: string[] = [];
  readonly helpers: string[] = [];
  readonly formatsUsed = new Set<string>();
  private variable = 0;
  private helper = 0;

  constructor(private readonly namedSchemas: Named) {}

  named(name: string, schema: JsonSchema): string {
    return `function ${functionName(name)}(v) {\n${this.body(schema, "v")}  return true;\n}`;
  }

  private fresh(prefix: string): string {
    this.variable += 1;
    return `${prefix}${this.variable}`;
  }

  /** A helper function for a subschema, for keywords that need a boolean (if, anyOf). */
  private sub(schema: JsonSchema): string {
    this.helper += 1;
    const name = `sub${this.helper}`;
    this.helpers.push(`function ${name}(v) {\n${this.body(schema, "v")}  return true;\n}`);
    return name;
  }

  /** Statements that `return false` unless `value` satisfies `schema`. */
  private body(schema: JsonSchema | boolean, value: string): string {
    if (schema === true) return "";
    if (schema === false) return "  return false;\n";
    for (const key of Object.keys(schema)) {
      if (!HANDLED.has(key) && !ANNOTATIONS.has(key)) throw new Error(`check compiler: unsupported keyword "${key}"`);
    }
    let out = "";
    if (typeof schema["$ref"] === "string") {
      const ref = schema["$ref"];
      if (!this.namedSchemas.has(ref)) throw new Error(`check compiler: unknown $ref ${ref}`);
      out += `  if (!${functionName(ref)}(${value})) return false;\n`;
    }
    out += this.typeAndConstraints(schema, value);
    if (schema["enum"] !== undefined) out += this.enumCheck(schema["enum"], value);
    if (schema["const"] !== undefined) out += `  if (${value} !== ${primitive(schema["const"])}) return false;\n`;
    if (schema["oneOf"] !== undefined) out += this.oneOf(schema, value);
    if (schema["anyOf"] !== undefined) {
      const subs = (schema["anyOf"] as JsonSchema[]).map((member) => `${this.sub(member)}(${value})`);
      out += `  if (!(${subs.join(" || ")})) return false;\n`;
    }
    for (const part of (schema["allOf"] as JsonSchema[] | undefined) ?? []) out += this.body(part, value);
    if (schema["if"] !== undefined) {
      const condition = this.sub(schema["if"] as JsonSchema);
      if (schema["then"] !== undefined) {
        out += `  if (${condition}(${value})) {\n${this.body(schema["then"] as JsonSchema, value)}  }\n`;
      }
    }
    return out;
  }

  private typeAndConstraints(schema: JsonSchema, value: string): string {
    const declared = schema["type"];
    const types = declared === undefined ? [] : Array.isArray(declared) ? (declared as string[]) : [declared as string];
    const constraints = {
      string: this.stringConstraints(schema, value),
      number: this.numberConstraints(schema, value),
      array: this.arrayConstraints(schema, value),
      object: this.objectConstraints(schema, value),
    };
    if (types.length === 0) {
      // Untyped: each group applies only to values of its type.
      return (
        guard(`typeof ${value} === "string"`, constraints.string) +
        guard(`typeof ${value} === "number"`, constraints.number) +
        guard(`Array.isArray(${value})`, constraints.array) +
        guard(isObject(value), constraints.object)
      );
    }
    const nonNull = types.filter((type) => type !== "null");
    if (nonNull.length > 1) throw new Error(`check compiler: union types ${types.join(",")} are not supported`);
    const type = nonNull[0];
    if (type === undefined) return `  if (${value} !== null) return false;\n`;
    const test = typeTest(type, value);
    const group =
      type === "string"
        ? constraints.string
        : type === "number" || type === "integer"
          ? constraints.number
          : type === "array"
            ? constraints.array
            : type === "object"
              ? constraints.object
              : "";
    const body = `  if (!(${test})) return false;\n${group}`;
    if (types.includes("null")) return `  if (${value} !== null) {\n${indent(body)}  }\n`;
    return body;
  }

  private stringConstraints(schema: JsonSchema, value: string): string {
    let out = "";
    const format = schema["format"];
    if (typeof format === "string") {
      if (!(format in FORMATS)) throw new Error(`check compiler: unknown format ${format}`);
      this.formatsUsed.add(format);
      out += `  if (!${formatVar(format)}(${value})) return false;\n`;
    }
    if (typeof schema["pattern"] === "string") {
      const name = `pattern${this.constants.length}`;
      this.constants.push(`const ${name} = new RegExp(${JSON.stringify(schema["pattern"])}, "u");`);
      out += `  if (!${name}.test(${value})) return false;\n`;
    }
    // Code points lie between half the UTF-16 length and the length; count them only in between.
    const max = schema["maxLength"];
    if (typeof max === "number") {
      out += `  if (${value}.length > ${max} && (${value}.length > ${max * 2} || ucs2length(${value}) > ${max})) return false;\n`;
    }
    const min = schema["minLength"];
    if (typeof min === "number" && min > 0) {
      out += `  if (${value}.length < ${min} || (${value}.length < ${min * 2} && ucs2length(${value}) < ${min})) return false;\n`;
    }
    return out;
  }

  private numberConstraints(schema: JsonSchema, value: string): string {
    const bounds: [string, string][] = [
      ["minimum", "<"],
      ["maximum", ">"],
      ["exclusiveMinimum", "<="],
      ["exclusiveMaximum", ">="],
    ];
    let out = "";
    for (const [keyword, failsWhen] of bounds) {
      const limit = schema[keyword];
      if (typeof limit === "number") out += `  if (${value} ${failsWhen} ${limit}) return false;\n`;
    }
    return out;
  }

  private arrayConstraints(schema: JsonSchema, value: string): string {
    let out = "";
    if (typeof schema["minItems"] === "number") out += `  if (${value}.length < ${schema["minItems"]}) return false;\n`;
    if (typeof schema["maxItems"] === "number") out += `  if (${value}.length > ${schema["maxItems"]}) return false;\n`;
    const items = schema["items"];
    if (items !== undefined && items !== true) {
      if (Array.isArray(items)) throw new Error("check compiler: tuple items are not supported");
      const index = this.fresh("i");
      const item = this.fresh("x");
      out += `  for (let ${index} = 0; ${index} < ${value}.length; ${index}++) {\n    const ${item} = ${value}[${index}];\n${indent(this.body(items as JsonSchema, item))}  }\n`;
    }
    return out;
  }

  private objectConstraints(schema: JsonSchema, value: string): string {
    const properties = (schema["properties"] as Record<string, JsonSchema> | undefined) ?? {};
    const required = new Set((schema["required"] as string[] | undefined) ?? []);
    const closed = schema["additionalProperties"] === false;
    if (schema["additionalProperties"] !== undefined && typeof schema["additionalProperties"] !== "boolean") {
      throw new Error("check compiler: additionalProperties must be a boolean");
    }
    const names = Object.keys(properties);
    for (const name of required) if (!(name in properties)) names.push(name);
    const counter = this.fresh("n");
    let out = closed ? `  let ${counter} = 0;\n` : "";
    for (const name of names) {
      const local = this.fresh("p");
      const access = `${value}[${JSON.stringify(name)}]`;
      const inner = properties[name] === undefined ? "" : this.body(properties[name], local);
      const count = closed ? `    ${counter}++;\n` : "";
      out += `  const ${local} = ${access};\n`;
      if (required.has(name)) {
        out += `  if (${local} === undefined) return false;\n${closed ? `  ${counter}++;\n` : ""}${inner}`;
      } else if (inner !== "" || closed) {
        out += `  if (${local} !== undefined) {\n${count}${indent(inner)}  }\n`;
      }
    }
    if (closed) {
      // Same keys as Ajv's for-in check: every enumerable key must be a declared one.
      // Counting first settles the common case without comparing strings.
      const key = this.fresh("k");
      const total = this.fresh("t");
      const known = names.length === 0 ? "false" : names.map((name) => `${key} === ${JSON.stringify(name)}`).join(" || ");
      out += `  let ${total} = 0;\n  for (const ${key} in ${value}) ${total}++;\n`;
      out += `  if (${total} !== ${counter}) {\n    for (const ${key} in ${value}) if (!(${known})) return false;\n  }\n`;
    }
    return out;
  }

  private enumCheck(values: unknown, value: string): string {
    const list = (values as unknown[]).map(primitive);
    return `  if (${list.map((item) => `${value} !== ${item}`).join(" && ")}) return false;\n`;
  }

  private oneOf(schema: JsonSchema, value: string): string {
    const discriminator = schema["discriminator"] as { propertyName: string } | undefined;
    const members = schema["oneOf"] as JsonSchema[];
    if (discriminator === undefined) {
      const subs = members.map((member) => `(${this.sub(member)}(${value}) ? 1 : 0)`);
      return `  if (${subs.join(" + ")} !== 1) return false;\n`;
    }
    const tag = discriminator.propertyName;
    let out = `  if (!(${isObject(value)})) return false;\n  switch (${value}[${JSON.stringify(tag)}]) {\n`;
    for (const member of members) {
      const resolved = typeof member["$ref"] === "string" ? this.namedSchemas.get(member["$ref"]) : member;
      const tagValue = (resolved?.["properties"] as Record<string, JsonSchema> | undefined)?.[tag]?.["const"];
      if (tagValue === undefined) throw new Error(`check compiler: a member of a discriminated union has no const ${tag}`);
      out += `    case ${primitive(tagValue)}:\n${indent(indent(this.body(member, value)))}      break;\n`;
    }
    return `${out}    default:\n      return false;\n  }\n`;
  }
}

function isObject(value: string): string {
  return `typeof ${value} === "object" && ${value} !== null && !Array.isArray(${value})`;
}

function typeTest(type: string, value: string): string {
  switch (type) {
    case "string":
      return `typeof ${value} === "string"`;
    case "boolean":
      return `typeof ${value} === "boolean"`;
    case "number":
      return `typeof ${value} === "number" && isFinite(${value})`;
    case "integer":
      return `typeof ${value} === "number" && !(${value} % 1) && !isNaN(${value}) && isFinite(${value})`;
    case "array":
      return `Array.isArray(${value})`;
    case "object":
      return isObject(value);
    default:
      throw new Error(`check compiler: unknown type ${type}`);
  }
}

function guard(condition: string, body: string): string {
  return body === "" ? "" : `  if (${condition}) {\n${indent(body)}  }\n`;
}

function indent(code: string): string {
  return code.replace(/^(?=.)/gm, "  ");
}

function primitive(value: unknown): string {
  if (value !== null && typeof value === "object") throw new Error("check compiler: only primitive const/enum values");
  return JSON.stringify(value);
}
