/**
 * `POST /api/v1/events/batch`: a JSON `{events: [...]}` body (gzip or deflate
 * allowed) answered with one result per event. Past `max_batch_bytes` (inflated) or
 * `max_events_per_batch` the answer is 413 with the limits in the body. Whether the
 * batch is taken is core/publish-access.ts's rule; this route gives it its status.
 */
import { batchRequestCodec, type BatchResponse } from "@events/schema";
import type { FastifyInstance } from "fastify";
import type { Principal } from "../auth/principal.js";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";
import { ingestFailure, publishAccess } from "../core/publish-access.js";
import { authorise } from "./http-auth.js";
import { errorBody, HTTP_STATUS } from "./http-errors.js";
import { eventsDespiteElements } from "./element-issues.js";
import { readBody } from "./read-body.js";

const writers = new WeakMap<object, Principal>();

export function batchRoutes(app: FastifyInstance, core: HubCore): void {
  const limits = core.options.limits;
  void app.register((scope, _options, done) => {
    // The body is read here, under the batch limits, whatever its declared type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, parsed) => {
      readBody(payload, request.headers, limits.max_batch_bytes).then(
        (body) => parsed(null, body),
        (error: unknown) => parsed(error instanceof Error ? error : new Error(String(error))),
      );
    });
    scope.post("/api/v1/events/batch", {
      // Authenticated (and the write scope checked) before the body is read: an unknown
      // client or a reader costs no inflating. publishAccess then decides on the batch.
      onRequest: async (request, reply) => {
        const principal = authorise({ core: core, request, reply }, { scope: "write" });
        if (principal === undefined) return reply;
        writers.set(request, principal);
        return undefined;
      },
      handler: async (request, reply) => {
        const principal = writers.get(request);
        if (principal === undefined) throw new HubError("unauthenticated", "no principal");
        const body = request.body;
        if (!Buffer.isBuffer(body)) throw new HubError("bad_request", "send a JSON body: {\"events\": [...]}");
        const decoded = batchRequestCodec.decodeJson(body);
        const events = decoded.ok ? decoded.value.events : eventsDespiteElements(parsed(body), decoded.issues, ["events"]);
        if (events === undefined) {
          core.metrics.malformed.inc({ transport: "http" });
          const issues = decoded.ok ? [] : decoded.issues;
          return reply.code(400).send(errorBody("bad_request", "the body is not a batch: {\"events\": [...]}", { issues }));
        }
        const access = publishAccess(principal, events.length, { limits, closing: core.closing });
        if (!access.ok) {
          if (access.code === "batch_too_large") core.metrics.malformed.inc({ transport: "http" });
          const extra = access.limits === undefined ? {} : { limits: access.limits };
          return reply.code(HTTP_STATUS[access.code]).send(errorBody(access.code, access.message, extra));
        }
        let result;
        try {
          result = await core.ingest(events, access.principal, "http");
        } catch (error) {
          core.logger.error("storing a batch failed", { error });
          // 507 for a full store, 503 otherwise.
          const failure = ingestFailure(error, "batch");
          throw new HubError(failure.code, failure.message, { cause: error });
        }
        const response: BatchResponse = { results: result.results, lamport_clock: result.lamportClock };
        return reply.code(200).send(response);
      },
    });
    done();
  });
}

/** The body as JSON (only on the failure path, after the codec refused it). */
function parsed(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
