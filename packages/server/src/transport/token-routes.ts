/**
 * Token management (admin token only) and stream tickets (any reading token):
 * `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`, `POST /api/v1/stream-tickets`.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { HubCore } from "../core/hub-core.js";
import { CreateTokenRequest, StreamTicket, TokenCreated, TokenIdParams, TokenList } from "./admin-schemas.js";
import { authorise } from "./http-auth.js";
import { errorBody } from "./http-errors.js";
import { HubError } from "../errors.js";

export function tokenRoutes(app: FastifyInstance, core: HubCore): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.post(
    "/api/v1/tokens",
    { schema: { body: CreateTokenRequest, response: { 201: TokenCreated } } },
    async (request, reply) => {
      if (authorise({ core: core, request, reply }, { scope: "write", admin: true }) === undefined) return reply;
      const created = await core.tokens.create(request.body);
      return reply.code(201).send({ id: created.id, token: created.token, project: created.info.project, scopes: [...created.info.scopes] });
    },
  );

  typed.get("/api/v1/tokens", { schema: { response: { 200: TokenList } } }, async (request, reply) => {
    if (authorise({ core: core, request, reply }, { scope: "read", admin: true }) === undefined) return reply;
    return reply.send({ tokens: core.tokens.list().map((token) => ({ ...token, scopes: [...token.scopes] })) });
  });

  typed.delete("/api/v1/tokens/:id", { schema: { params: TokenIdParams } }, async (request, reply) => {
    if (authorise({ core: core, request, reply }, { scope: "write", admin: true }) === undefined) return reply;
    try {
      await core.tokens.revoke(request.params.id);
    } catch (error) {
      if (error instanceof HubError && error.code === "not_found") return reply.code(404).send(errorBody("not_found", error.message));
      throw error;
    }
    return reply.code(204).send();
  });

  typed.post("/api/v1/stream-tickets", { schema: { response: { 201: StreamTicket } } }, async (request, reply) => {
    const principal = authorise({ core: core, request, reply }, { scope: "read" });
    if (principal === undefined) return reply;
    const { ticket, expiresAt } = core.tickets.issue(principal, core.options.ticketTtlMs);
    return reply.code(201).header("cache-control", "no-store").send({ ticket, expires_at: new Date(expiresAt).toISOString() });
  });
}
