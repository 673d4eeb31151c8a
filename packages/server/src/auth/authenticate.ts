/**
 * Turns a request's credentials into a principal: `Authorization: Bearer <token>`,
 * or for streams a `?ticket=` (read only). One function for every transport.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ADMIN, type Principal, type Scope } from "./principal.js";
import type { TicketSigner } from "./tickets.js";
import type { TokenRegistry } from "./token-registry.js";

export type Credentials =
  | { readonly kind: "none" }
  | { readonly kind: "valid"; readonly principal: Principal }
  | { readonly kind: "invalid"; readonly message: string };

export interface Authenticator {
  readonly tokens: TokenRegistry;
  readonly tickets: TicketSigner;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}

export function fromToken(auth: Authenticator, token: string | undefined): Credentials {
  if (token === undefined) return { kind: "none" };
  const principal = auth.tokens.authenticate(token);
  return principal === undefined
    ? { kind: "invalid", message: "unknown or revoked token" }
    : { kind: "valid", principal };
}

/** Header first; a ticket only where `allowTicket` (streams), and it grants reading only. */
export function fromRequest(
  auth: Authenticator,
  request: { headers: IncomingHttpHeaders; ticket?: string | undefined },
): Credentials {
  const bearer = bearerToken(request.headers);
  if (bearer !== undefined) return fromToken(auth, bearer);
  if (request.ticket === undefined) return { kind: "none" };
  const tokenId = auth.tickets.verify(request.ticket);
  const principal = tokenId === undefined ? undefined : auth.tokens.byId(tokenId);
  if (principal === undefined) return { kind: "invalid", message: "invalid or expired ticket" };
  return { kind: "valid", principal: readOnly(principal) };
}

function readOnly(principal: Principal): Principal {
  const scopes = new Set<Scope>(principal.scopes.has("read") ? ["read"] : []);
  return principal.kind === "admin" ? { ...ADMIN, scopes } : { ...principal, scopes };
}

/**
 * Cluster mode: looks a credential this hub does not know up in the store first
 * (another hub may have just made its token), so the synchronous checks above see
 * it. A no-op for one hub, and for credentials already known. Never rejects.
 */
export async function learnCredentials(auth: Authenticator, request: { headers: IncomingHttpHeaders; ticket?: string | undefined }): Promise<void> {
  try {
    const bearer = bearerToken(request.headers);
    if (bearer !== undefined) await auth.tokens.ensure(bearer);
    else if (request.ticket !== undefined) await auth.tokens.ensureId(auth.tickets.verify(request.ticket));
  } catch {
    // The store did not answer: the token is judged on what this hub knows.
  }
}
