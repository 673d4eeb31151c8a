/**
 * Fastify's schema-validation errors (Ajv's) as the wire's issues, by the same mapping
 * as the codecs: `path` a JSON Pointer, `expected` in words, `received` the value the
 * request carried at `path` (JSON text cut at RECEIVED_MAX_CHARS), never Ajv's params.
 */
import { issuesFromErrors, type Issue } from "@events/schema";
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

/**
 * The issues of a request that failed Fastify's validation, worded as every decode path
 * words them (@events/schema's `issuesFromErrors`: "a UUID", not the raw pattern).
 */
export function requestIssues(errors: readonly FastifySchemaValidationError[], data: unknown): Issue[] {
  return issuesFromErrors(errors, data, () => undefined);
}
