/**
 * Authentication for HTTP routes: a missing or unknown credential is a 401, a
 * principal without the needed scope a 403, both with an ErrorResponse body.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { fromRequest } from "../auth/authenticate.js";
import type { Principal, Scope } from "../auth/principal.js";
import type { HubCore } from "../core/hub-core.js";
import { errorBody } from "./http-errors.js";

export interface AuthNeeds {
  /** The scope the route needs. */
  readonly scope: Scope;
  /** Accept `?ticket=` (streams only). */
  readonly allowTicket?: boolean;
  /** Admin only (token management). */
  readonly admin?: boolean;
}

/** The request's principal, or undefined after answering 401/403. */
export function authorise(
  { core, request, reply }: { core: HubCore; request: FastifyRequest; reply: FastifyReply },
  needs: AuthNeeds,
): Principal | undefined {
  const ticket = needs.allowTicket === true ? ticketOf(request.url) : undefined;
  const credentials = fromRequest({ tokens: core.tokens, tickets: core.tickets }, { headers: request.headers, ticket });
  if (credentials.kind !== "valid") {
    const message =
      credentials.kind === "none"
        ? `send Authorization: Bearer <token>${needs.allowTicket === true ? " or ?ticket= (POST /api/v1/stream-tickets)" : ""}`
        : credentials.message;
    void reply.code(401).header("www-authenticate", 'Bearer realm="events"').send(errorBody("unauthenticated", message));
    return undefined;
  }
  const principal = credentials.principal;
  if (needs.admin === true && principal.kind !== "admin") {
    void reply.code(403).send(errorBody("forbidden", "this needs the admin token"));
    return undefined;
  }
  if (!principal.scopes.has(needs.scope)) {
    void reply.code(403).send(errorBody("forbidden", `this token has no ${needs.scope} scope`));
    return undefined;
  }
  return principal;
}

export function ticketOf(url: string): string | undefined {
  const query = url.indexOf("?");
  if (query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get("ticket") ?? undefined;
}

/** The request path without its query string (which may carry a ticket): the only form logged. */
export function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}
