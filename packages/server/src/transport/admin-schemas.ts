/**
 * Request and response bodies of the token and ticket endpoints. They are not in
 * @events/schema yet (see the README's "Open points"), so they are declared here,
 * once, in TypeBox, and Fastify validates requests against them.
 */
import { Type, type Static } from "@sinclair/typebox";
import { UUID_PATTERN } from "@events/schema";

const Scope = Type.Union([Type.Literal("read"), Type.Literal("write")]);

export const CreateTokenRequest = Type.Object(
  {
    project: Type.String({ pattern: UUID_PATTERN, description: "The project uuid the token is bound to." }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: 2, uniqueItems: true }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const TokenInfo = Type.Object({
  id: Type.String(),
  project: Type.String(),
  scopes: Type.Array(Scope),
  label: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

export const TokenCreated = Type.Object({
  id: Type.String(),
  /** The token in clear: shown once, stored only as a SHA-256 digest. */
  token: Type.String(),
  project: Type.String(),
  scopes: Type.Array(Scope),
});

export const TokenList = Type.Object({ tokens: Type.Array(TokenInfo) });

export const TokenIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const StreamTicket = Type.Object({
  ticket: Type.String(),
  expires_at: Type.String({ description: "RFC 3339 UTC" }),
});

export type CreateTokenRequest = Static<typeof CreateTokenRequest>;
export type TokenCreated = Static<typeof TokenCreated>;
export type StreamTicket = Static<typeof StreamTicket>;
