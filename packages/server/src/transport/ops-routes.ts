/** Liveness, Prometheus metrics and the advertised limits: `GET /healthz`, `/metrics`, `/api/v1/limits`. */
import type { FastifyInstance } from "fastify";
import type { HubCore } from "../core/hub-core.js";
import { HUB_VERSION } from "../version.js";

export function opsRoutes(app: FastifyInstance, core: HubCore): void {
  const started = Date.now();

  app.get("/healthz", async (_request, reply) =>
    reply.header("cache-control", "no-store").send({
      status: "ok",
      version: HUB_VERSION,
      node_id: core.options.nodeId,
      store: core.store.flavour,
      head_seq: core.broker.headSeq,
      uptime_s: Math.round((Date.now() - started) / 1000),
    }),
  );

  app.get("/metrics", async (_request, reply) =>
    reply.header("content-type", core.metrics.contentType).send(await core.metrics.render()),
  );

  app.get("/api/v1/limits", async (_request, reply) => reply.send({ ...core.options.limits }));
}
