/**
 * Tokens: the admin token (its digest in hub_meta) and project tokens (digests in
 * the tokens table), held in memory so authentication costs one hash and one map
 * lookup. Lookup is by the SHA-256 digest (timing reveals nothing about the token)
 * and the digests are then compared in constant time.
 */
import { HubError } from "../errors.js";
import type { HubStore } from "../store/hub-store.js";
import type { TokenRecord } from "../store/records.js";
import { ADMIN, type Principal, type Scope } from "./principal.js";
import { digestsEqual, newSecret, sha256Hex } from "./secrets.js";

const ADMIN_KEY = "admin_token_sha256";

export interface TokenInfo {
  readonly id: string;
  readonly project: string;
  readonly scopes: readonly Scope[];
  readonly label: string | null;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

export class TokenRegistry {
  readonly #store: HubStore;
  #adminDigest = "";
  #byDigest = new Map<string, { record: TokenRecord; principal: Principal }>();
  #byId = new Map<string, TokenRecord>();

  constructor(store: HubStore) {
    this.#store = store;
  }

  /**
   * Loads tokens and settles the admin token: the given one (its digest replaces
   * the stored one), else the stored digest, else a new token. Returns the admin
   * token when it is known in clear (given, or generated just now), else null.
   */
  async load(given: string | undefined): Promise<string | null> {
    let admin: string | null = null;
    if (given !== undefined) {
      admin = given;
      this.#adminDigest = sha256Hex(given);
      await this.#store.setMeta(ADMIN_KEY, this.#adminDigest);
    } else {
      const stored = await this.#store.getMeta(ADMIN_KEY);
      if (stored === undefined) {
        admin = newSecret("eva_");
        this.#adminDigest = sha256Hex(admin);
        await this.#store.setMeta(ADMIN_KEY, this.#adminDigest);
      } else {
        this.#adminDigest = stored;
      }
    }
    for (const record of await this.#store.listTokens()) this.#remember(record);
    return admin;
  }

  /** The principal a bearer token stands for, or undefined for an unknown or revoked one. */
  authenticate(token: string | undefined): Principal | undefined {
    if (token === undefined || token === "" || token.length > 512) return undefined;
    const digest = sha256Hex(token);
    if (digestsEqual(digest, this.#adminDigest)) return ADMIN;
    const entry = this.#byDigest.get(digest);
    if (entry === undefined || !digestsEqual(digest, entry.record.tokenHash)) return undefined;
    return entry.principal;
  }

  /** The principal of a token id (tickets name their token by id), if it is still live. */
  byId(id: string): Principal | undefined {
    if (id === "admin") return ADMIN;
    const record = this.#byId.get(id);
    return record === undefined ? undefined : this.#byDigest.get(record.tokenHash)?.principal;
  }

  async create(input: { project: string; scopes: readonly Scope[]; label?: string | undefined }): Promise<{ id: string; token: string; info: TokenInfo }> {
    const token = newSecret("evt_");
    const record: TokenRecord = {
      id: newSecret("tok_", 9),
      project: input.project,
      scopes: [...new Set(input.scopes)].sort(),
      tokenHash: sha256Hex(token),
      label: input.label ?? null,
      createdAt: new Date().toISOString(),
      revokedAt: null,
    };
    await this.#store.insertToken(record);
    this.#remember(record);
    return { id: record.id, token, info: info(record) };
  }

  list(): TokenInfo[] {
    return [...this.#byId.values()].map(info);
  }

  readonly #revokeListeners = new Set<(id: string) => void>();

  /** Told of every revocation, so transports can close what the token holds open. */
  onRevoke(listener: (id: string) => void): void {
    this.#revokeListeners.add(listener);
  }

  /** Revokes a token at once; open WebSocket connections that use it are closed with 4401. */
  async revoke(id: string): Promise<void> {
    const revokedAt = new Date().toISOString();
    if (!(await this.#store.revokeToken(id, revokedAt))) {
      throw new HubError("not_found", `no live token with id ${id}`);
    }
    const record = this.#byId.get(id);
    if (record !== undefined) {
      this.#byDigest.delete(record.tokenHash);
      this.#byId.set(id, { ...record, revokedAt });
    }
    for (const listener of this.#revokeListeners) {
      try {
        listener(id);
      } catch {
        // A transport's failure to close must not undo the revocation.
      }
    }
  }

  #remember(record: TokenRecord): void {
    this.#byId.set(record.id, record);
    if (record.revokedAt !== null) return;
    this.#byDigest.set(record.tokenHash, {
      record,
      principal: Object.freeze({ kind: "project", tokenId: record.id, project: record.project, scopes: new Set(record.scopes) }),
    });
  }
}

function info(record: TokenRecord): TokenInfo {
  return {
    id: record.id,
    project: record.project,
    scopes: record.scopes,
    label: record.label,
    created_at: record.createdAt,
    revoked_at: record.revokedAt,
  };
}
