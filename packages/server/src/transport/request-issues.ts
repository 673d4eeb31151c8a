/**
 * Fastify's schema-validation errors (Ajv's) as the wire's issues: `path` and
 * `expected` as Ajv words them, `received` the value the request carried at `path`,
 * written by @events/schema's `receivedText` (JSON text cut at RECEIVED_MAX_CHARS),
 * never Ajv's params. A missing property is pointed at and received as `nothing`; an
 * extra one is pointed at and received as its value, as the codecs do.
 */
import { issuePath, receivedText, type Issue } from "@events/schema";
import type { FastifyError, FastifyRequest, FastifySchemaValidationError } from "fastify";

/** The part of the request that failed validation (Fastify's `validationContext`). */
export function validatedPart(request: FastifyRequest, context: FastifyError["validationContext"]): unknown {
  switch (context) {
    case "body":
      return request.body;
    case "params":
      return request.params;
    case "querystring":
      return request.query;
    case "headers":
      return request.headers;
    case undefined:
      return undefined;
  }
}

export function requestIssues(errors: readonly FastifySchemaValidationError[], data: unknown): Issue[] {
  const issues: Issue[] = [];
  for (const error of errors) {
    // An anyOf's own error adds nothing when its branches already said what fits here.
    if (error.keyword === "anyOf" && errors.some((other) => other !== error && other.instancePath === error.instancePath)) continue;
    issues.push(requestIssue(error, data));
  }
  return issues;
}

function requestIssue(error: FastifySchemaValidationError, data: unknown): Issue {
  let path = error.instancePath;
  const property = error.keyword === "required" ? error.params["missingProperty"] : error.keyword === "additionalProperties" ? error.params["additionalProperty"] : undefined;
  if (typeof property === "string") path = `${path}/${property.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  const expected = error.message ?? "a valid value";
  const received = receivedText(valueAt(data, path));
  const shown = issuePath(path);
  return { path: shown, expected, received, message: `${shown === "" ? "(root)" : shown}: ${expected}, received ${received}` };
}

/** The value at a JSON Pointer, own properties only; undefined when there is none. */
function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let current = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
