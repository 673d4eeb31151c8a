/**
 * Stream tickets, for clients that cannot set an Authorization header (a browser's
 * EventSource). A ticket is `<payload>.<HMAC-SHA256>`, both base64url: it names its
 * token by id (never carries it), expires after the ticket TTL, grants reading only,
 * and dies with its token. The hub never logs query strings, where tickets travel.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HubStore } from "../store/hub-store.js";
import type { Principal } from "./principal.js";

const SECRET_KEY = "ticket_secret";

interface TicketBody {
  /** Token id, or "admin". */
  readonly t: string;
  /** Expiry, ms since the epoch. */
  readonly e: number;
}

export class TicketSigner {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** The signer over the hub's secret (created at first start, kept in hub_meta). */
  static async load(store: HubStore): Promise<TicketSigner> {
    // Hubs sharing a store share the secret (the first one stored), so a ticket works on any of them.
    const secret = (await store.getMeta(SECRET_KEY)) ?? (await store.claimMeta(SECRET_KEY, randomBytes(32).toString("base64url")));
    return new TicketSigner(Buffer.from(secret, "base64url"));
  }

  issue(principal: Principal, ttlMs: number, now: number = Date.now()): { ticket: string; expiresAt: number } {
    const body: TicketBody = { t: principal.kind === "admin" ? "admin" : principal.tokenId, e: now + ttlMs };
    const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
    return { ticket: `${payload}.${this.#sign(payload)}`, expiresAt: body.e };
  }

  /** The token id a valid, unexpired ticket names; undefined otherwise. */
  verify(ticket: string, now: number = Date.now()): string | undefined {
    if (ticket.length > 512) return undefined;
    const dot = ticket.indexOf(".");
    if (dot <= 0) return undefined;
    const payload = ticket.slice(0, dot);
    const given = Buffer.from(ticket.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.#sign(payload), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<TicketBody>;
      if (typeof body.t !== "string" || typeof body.e !== "number" || body.e <= now) return undefined;
      return body.t;
    } catch {
      return undefined;
    }
  }

  #sign(payload: string): string {
    return createHmac("sha256", this.#secret).update(payload).digest("base64url");
  }
}
