/**
 * Tokens: the admin token (its digest in hub_meta) and project tokens (digests in
 * the tokens table), held in memory so authentication costs one hash and one map
 * lookup. Lookup is by the SHA-256 digest (timing reveals nothing about the token)
 * and the digests are then compared in constant time.
 *
 * In a cluster, tokens made or revoked on one hub reach the others over the bus
 * (`applyRemote`), every hub reloads them all when its bus (re)connects, and a
 * digest it does not know is looked up in the store before it is refused (`ensure`),
 * so a token made on one hub works at once on another and a revoked one nowhere.
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

export type TokenChange = { readonly kind: "token_created" | "token_revoked"; readonly id: string };

/** How long a digest the store did not know is not looked up again (cluster mode). */
const MISS_TTL_MS = 2_000;
const MAX_MISSES = 10_000;

export class TokenRegistry {
  readonly #store: HubStore;
  #adminDigest = "";
  #byDigest = new Map<string, { record: TokenRecord; principal: Principal }>();
  #byId = new Map<string, TokenRecord>();
  #misses = new Map<string, number>();
  /** Set by a cluster node: told of local changes (to tell the other hubs), and enables store lookups of unknown tokens. */
  announce: ((change: TokenChange) => void) | undefined;

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
        // Hubs starting together on one new store: the first digest stored wins.
        const generated = newSecret("eva_");
        this.#adminDigest = await this.#store.claimMeta(ADMIN_KEY, sha256Hex(generated));
        if (this.#adminDigest === sha256Hex(generated)) admin = generated;
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
    this.announce?.({ kind: "token_created", id: record.id });
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

  /** Revokes a token at once; its open WebSockets are closed with 4401 and its SSE streams ended (`revoked`). */
  async revoke(id: string): Promise<void> {
    const revokedAt = new Date().toISOString();
    if (!(await this.#store.revokeToken(id, revokedAt))) {
      throw new HubError("not_found", `no live token with id ${id}`);
    }
    this.#forget(id, revokedAt);
    this.announce?.({ kind: "token_revoked", id });
  }

  /** Looks a token this hub does not know up in the store (cluster mode: another hub may have made it). */
  async ensure(token: string | undefined): Promise<void> {
    if (this.announce === undefined || token === undefined || token === "" || token.length > 512) return;
    const digest = sha256Hex(token);
    if (digest === this.#adminDigest || this.#byDigest.has(digest) || this.#missed(digest)) return;
    const record = await this.#store.token({ tokenHash: digest });
    if (record === undefined || record.revokedAt !== null) this.#miss(digest);
    else this.#remember(record);
  }

  /** Like `ensure`, for a token named by id (a stream ticket). */
  async ensureId(id: string | undefined): Promise<void> {
    if (this.announce === undefined || id === undefined || id === "admin" || this.#byId.has(id) || this.#missed(id)) return;
    const record = await this.#store.token({ id });
    if (record === undefined) this.#miss(id);
    else this.#remember(record);
  }

  /** A change another hub made: learn the new token, or forget the revoked one and close what it holds. */
  async applyRemote(change: TokenChange): Promise<void> {
    const record = await this.#store.token({ id: change.id });
    if (record === undefined) return;
    if (record.revokedAt !== null) this.#forget(record.id, record.revokedAt);
    else this.#remember(record);
  }

  /** Reloads every token from the store (a cluster hub whose bus reconnected may have missed changes). */
  async reload(): Promise<void> {
    for (const record of await this.#store.listTokens()) {
      if (record.revokedAt !== null) this.#forget(record.id, record.revokedAt);
      else this.#remember(record);
    }
  }

  #forget(id: string, revokedAt: string): void {
    const record = this.#byId.get(id);
    if (record === undefined || record.revokedAt !== null) return;
    this.#byDigest.delete(record.tokenHash);
    this.#byId.set(id, { ...record, revokedAt });
    for (const listener of this.#revokeListeners) {
      try {
        listener(id);
      } catch {
        // A transport's failure to close must not undo the revocation.
      }
    }
  }

  #missed(key: string): boolean {
    const until = this.#misses.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#misses.delete(key);
    return false;
  }

  #miss(key: string): void {
    if (this.#misses.size >= MAX_MISSES) this.#misses.delete(this.#misses.keys().next().value!);
    this.#misses.set(key, Date.now() + MISS_TTL_MS);
  }

  #remember(record: TokenRecord): void {
    this.#misses.delete(record.tokenHash);
    this.#misses.delete(record.id);
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
