/**
 * `POST /api/v1/events/batch`: a JSON `{events: [...]}` body (gzip or deflate
 * allowed) answered with one result per event. Past `max_batch_bytes` (inflated) or
 * `max_events_per_batch` the answer is 413 with the limits in the body.
 */
import { batchRequestCodec, type BatchResponse } from "@events/schema";
import type { FastifyInstance } from "fastify";
import type { Principal } from "../auth/principal.js";
import { HubError } from "../errors.js";
import type { HubCore } from "../core/hub-core.js";
import { authorise } from "./http-auth.js";
import { errorBody } from "./http-errors.js";
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
      // Authenticated before the body is read: an unknown client costs no inflating.
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
        if (events.length > limits.max_events_per_batch) {
          core.metrics.malformed.inc({ transport: "http" });
          return reply
            .code(413)
            .send(errorBody("batch_too_large", `${events.length} events > max_events_per_batch ${limits.max_events_per_batch}; split the batch`, { limits }));
        }
        let result;
        try {
          result = await core.ingest(events, principal, "http");
        } catch (error) {
          core.logger.error("storing a batch failed", { error });
          // 507 for a full store, 503 otherwise: both retryable, and nothing of the batch was stored.
          if (error instanceof HubError && error.code === "storage_full") {
            throw new HubError("storage_full", "the hub's store is full (no space left); nothing of this batch was stored: retry it later", { cause: error });
          }
          throw new HubError("unavailable", "the hub could not store this batch; retry it later", { cause: error });
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
