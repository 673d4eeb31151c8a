/**
 * The hub's HTTP side on Fastify: routes, one error handler that answers every
 * failure with an ErrorResponse, a 503 while shutting down, and a request log
 * that prints paths only (query strings may carry stream tickets).
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";
import { batchRoutes } from "./http-batch.js";
import { dashboardRoutes } from "./dashboard.js";
import { historyRoutes } from "./history-routes.js";
import { learnCredentials } from "../auth/authenticate.js";
import { pathOf, ticketOf } from "./http-auth.js";
import { errorBody, HTTP_STATUS, wireCode } from "./http-errors.js";
import { opsRoutes } from "./ops-routes.js";
import { requestIssues, validatedPart } from "./request-issues.js";
import type { SseStreams } from "./sse.js";
import { tokenRoutes } from "./token-routes.js";

export interface HttpAppDeps {
  readonly core: HubCore;
  readonly sse: SseStreams;
  readonly closing: () => boolean;
}

export function createHttpApp({ core, sse, closing }: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    // spec-kitty's sync client posts to `/api/v1/events/batch/`: a trailing slash names the same route.
    routerOptions: { ignoreTrailingSlash: true },
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
    return reply.code(status).send(errorBody(status === 404 ? "not_found" : "bad_request", error.message));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody("not_found", `no route ${request.method} ${pathOf(request.url)}`)),
  );

  opsRoutes(app, core);
  batchRoutes(app, core);
  tokenRoutes(app, core);
  historyRoutes(app, core);
  sse.route(app);
  dashboardRoutes(app, core.options.dashboardDir);
  return app;
}
