/** Liveness, Prometheus metrics and the advertised limits: `GET /healthz`, `/metrics`, `/api/v1/limits`. */
import { formatPosition } from "@events/schema";
import type { FastifyInstance } from "fastify";
import { fromRequest } from "../auth/authenticate.js";
import type { HubCore } from "../core/hub-core.js";
import { ticketOf } from "./http-auth.js";
import { errorBody } from "./http-errors.js";
import { HUB_VERSION } from "../version.js";

export function opsRoutes(app: FastifyInstance, core: HubCore): void {
  const started = Date.now();

  app.get("/healthz", async (_request, reply) => {
    const base = {
      version: HUB_VERSION,
      node_id: core.options.nodeId,
      store: core.store.flavour,
      // Each stream's newest seq delivered here, as a position token.
      position: formatPosition(core.broker.heads),
      streams: core.broker.heads.size,
      uptime_s: Math.round((Date.now() - started) / 1000),
    };
    const cluster = core.cluster;
    if (cluster === undefined) return reply.header("cache-control", "no-store").send({ status: "ok", mode: "single", ...base });
    // A node without its store can neither ack nor resume: take it out of the load balancer (503).
    // Without the bus it still serves, a little later (from the store): degraded, not down.
    const { store, bus } = await cluster.health();
    const status = !store.ok ? "unavailable" : bus.connected ? "ok" : "degraded";
    return reply
      .code(store.ok ? 200 : 503)
      .header("cache-control", "no-store")
      .send({
        status,
        mode: "cluster",
        ...base,
        store: {
          kind: core.store.flavour,
          ok: store.ok,
          position: formatPosition(store.heads),
          checked_at: new Date(store.checkedAt).toISOString(),
          ...(store.error === undefined ? {} : { error: store.error }),
        },
        bus: {
          kind: "redis",
          connected: bus.connected,
          prefix: bus.prefix,
          position: formatPosition(bus.delivered),
          lag: bus.lag,
          streams: bus.streams,
          pending_events: bus.pendingEvents,
          ...(bus.error === undefined ? {} : { error: bus.error }),
        },
      });
  });

  app.get("/metrics", async (_request, reply) =>
    reply.header("content-type", core.metrics.contentType).send(await core.metrics.render()),
  );

  // Open to all; a credential that comes is checked, so a client can learn the limits
  // and whether its token is still good in one request (the SSE client's "connect").
  app.get("/api/v1/limits", async (request, reply) => {
    const credentials = fromRequest({ tokens: core.tokens, tickets: core.tickets }, { headers: request.headers, ticket: ticketOf(request.url) });
    if (credentials.kind === "invalid") return reply.code(401).header("www-authenticate", 'Bearer realm="events"').send(errorBody("unauthenticated", credentials.message));
    return reply.send({ ...core.options.limits });
  });
}
