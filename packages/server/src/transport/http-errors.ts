/**
 * One mapping from hub error codes to HTTP statuses and WebSocket close codes, and
 * the ErrorResponse body every non-2xx HTTP answer carries.
 */
import { STATUS_CODES } from "node:http";
import { CLOSE_CODES, type ErrorCode, type ErrorResponse, type Issue, type Limits } from "@events/schema";
import type { HubErrorCode } from "../errors.js";

export const HTTP_STATUS: Readonly<Record<HubErrorCode, number>> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  batch_too_large: 413,
  frame_too_large: 413,
  unavailable: 503,
  storage_full: 507,
  config: 500,
  internal: 500,
};

export const WS_CLOSE: Readonly<Record<HubErrorCode, number>> = {
  bad_request: CLOSE_CODES.protocolError,
  unauthenticated: CLOSE_CODES.unauthenticated,
  forbidden: CLOSE_CODES.forbidden,
  not_found: CLOSE_CODES.notFound,
  batch_too_large: CLOSE_CODES.frameTooLarge,
  frame_too_large: CLOSE_CODES.frameTooLarge,
  unavailable: CLOSE_CODES.internalError,
  storage_full: CLOSE_CODES.internalError,
  config: CLOSE_CODES.internalError,
  internal: CLOSE_CODES.internalError,
};

/** The wire's error code for an HTTP status the framework (Fastify, Node's parser) answered with. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "batch_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    case 507:
      return "storage_full";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

/** The wire's error code for a hub error code (`config` is internal to the hub). */
export function wireCode(code: HubErrorCode): ErrorCode {
  return code === "config" ? "internal" : code;
}

export function errorBody(
  code: ErrorCode,
  message: string,
  extra: { issues?: readonly Issue[]; limits?: Readonly<Limits> } = {},
): ErrorResponse {
  return {
    error: {
      code,
      message,
      ...(extra.issues === undefined ? {} : { issues: [...extra.issues] }),
      ...(extra.limits === undefined ? {} : { limits: { ...extra.limits } }),
    },
  };
}

/** A whole HTTP answer with an ErrorResponse, for a socket no framework answers on (a bad request line, a refused upgrade); the connection closes after it. */
export function rawErrorResponse(status: number, body: ErrorResponse): string {
  const json = JSON.stringify(body);
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close`;
  return `${head}\r\n\r\n${json}`;
}
