/**
 * The hub's HTTP side on Fastify: routes, one error handler that answers every
 * failure with an ErrorResponse, a 503 while shutting down, and a request log
 * that prints paths only (query strings may carry stream tickets).
 */
import { POSITION_TOKEN_MAX_CHARS } from "@events/schema";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";
import { batchRoutes } from "./http-batch.js";
import { dashboardRoutes } from "./dashboard.js";
import { historyRoutes } from "./history-routes.js";
import { learnCredentials } from "../auth/authenticate.js";
import { pathOf, ticketOf } from "./http-auth.js";
import { codeForStatus, errorBody, HTTP_STATUS, rawErrorResponse, wireCode } from "./http-errors.js";
import { opsRoutes } from "./ops-routes.js";
import { requestIssues, validatedPart } from "./request-issues.js";
import type { SseStreams } from "./sse.js";
import { tokenRoutes } from "./token-routes.js";

/** Fastify's default `maxParamLength`: a path parameter longer than this is refused (414). */
const MAX_PARAM_LENGTH = 100;
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The most bytes of request line and headers together: a whole position token (a
 * Last-Event-ID or `?since=` of up to POSITION_TOKEN_MAX_CHARS) and 16 KiB for the
 * rest, where Node's default (16 KiB in all) would refuse a token of ~400 streams.
 */
const MAX_HEADER_BYTES = POSITION_TOKEN_MAX_CHARS + 16_384;

/** What Node's HTTP parser refused, as a status and a sentence. */
function clientFailure(error: Error & { code?: string }): { status: number; message: string } {
  if (error.code === "HPE_HEADER_OVERFLOW") return { status: 431, message: `the request's URL or headers are too large (at most ${MAX_HEADER_BYTES / 1024} KiB in all)` };
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return { status: 408, message: "the request did not arrive in time" };
  return { status: 400, message: `the request is not valid HTTP (${error.code ?? error.message})` };
}

export interface HttpAppDeps {
  readonly core: HubCore;
  readonly sse: SseStreams;
  readonly closing: () => boolean;
}

export function createHttpApp({ core, sse, closing }: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // spec-kitty's sync client posts to `/api/v1/events/batch/`: a trailing slash names the same route.
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router meets before any route (a parameter over its length, a URL that
    // does not decode) get the same ErrorResponse as everything else.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      const message = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? `a path segment is too long (at most ${MAX_PARAM_LENGTH} characters)` : `the request URL cannot be read (${error.code ?? "bad url"})`;
      // The reply is the raw one here (no route, so no typed reply shapes).
      void (reply as unknown as FastifyReply).code(status).send(errorBody(codeForStatus(status), message));
    },
    // Node's HTTP parser refuses some requests (headers or URL too large, malformed)
    // before Fastify sees them: answer those in our shape too, then close.
    clientErrorHandler: (error, socket) => {
      const { status, message } = clientFailure(error);
      if (!socket.writable) return void socket.destroy();
      socket.end(rawErrorResponse(status, errorBody(codeForStatus(status), message)));
    },
    // Strict validation of the token routes: no silent removal or coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });

  app.addHook("onRequest", async (request, reply) => {
    if (closing()) return reply.code(503).header("connection", "close").send(errorBody("unavailable", "the hub is shutting down"));
    return undefined;
  });
  if (core.options.cluster !== undefined) {
    // Tokens made on another node are looked up before a route checks them.
    app.addHook("onRequest", async (request) => learnCredentials(core, { headers: request.headers, ticket: ticketOf(request.url) }));
  }
  app.addHook("onResponse", async (request, reply) => {
    core.logger.debug("http", { method: request.method, path: pathOf(request.url), status: reply.statusCode });
  });

  app.setErrorHandler((error: FastifyError | HubError, request, reply) => {
    if (error instanceof HubError) {
      const limits = error.code === "batch_too_large" ? core.options.limits : undefined;
      if (error.code === "batch_too_large" || error.code === "bad_request") core.metrics.malformed.inc({ transport: "http" });
      if (HTTP_STATUS[error.code] >= 500) core.logger.error("request failed", { error });
      return reply
        .code(HTTP_STATUS[error.code])
        .send(errorBody(wireCode(error.code), error.message, limits === undefined ? {} : { limits }));
    }
    if (error.validation !== undefined) {
      const issues = requestIssues(error.validation, validatedPart(request, error.validationContext));
      return reply.code(400).send(errorBody("bad_request", `invalid request ${error.validationContext ?? ""}`.trim(), { issues }));
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      core.logger.error("request failed", { error });
      return reply.code(500).send(errorBody("internal", "the hub failed; retry with backoff"));
    }
    if (status === 413) return reply.code(413).send(errorBody("batch_too_large", error.message, { limits: core.options.limits }));
    if (status === 415) {
      const type = String(request.headers["content-type"] ?? "none").slice(0, 100);
      return reply.code(415).send(errorBody("unsupported_media_type", `content-type ${type} is not taken here; send application/json`));
    }
    return reply.code(status).send(errorBody(codeForStatus(status), error.message));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    // A path that exists with other methods is 405 with `Allow`, not 404.
    const allowed = METHODS.filter((method) => method !== request.method && app.hasRoute({ method, url: path }));
    if (allowed.length > 0) {
      return reply.code(405).header("allow", allowed.join(", ")).send(errorBody("method_not_allowed", `${request.method} is not allowed on ${path}; use ${allowed.join(" or ")}`));
    }
    return reply.code(404).send(errorBody("not_found", `no route ${request.method} ${path}`));
  });

  opsRoutes(app, core);
  batchRoutes(app, core);
  tokenRoutes(app, core);
  historyRoutes(app, core);
  sse.route(app);
  dashboardRoutes(app, core.options.dashboardDir);
  return app;
}
