/**
 * The node id: stable per machine and user, and short. It is the first 12 hex
 * digits of sha256("<hostname>:<user>"), as the system we learn from computes it,
 * so one person on one machine keeps one Lamport sequence whatever the process.
 *
 * Loading node:crypto costs a short host command several milliseconds, so the id is
 * kept in the config cache (queue.db) under the name it was computed from, and
 * node:crypto is loaded only when that name is new.
 */
import type * as NodeCrypto from "node:crypto";
import { createRequire } from "node:module";
import { hostname, userInfo } from "node:os";
import type { ConfigCache } from "./project-config.js";

type Crypto = typeof NodeCrypto;

let cryptoModule: Crypto | undefined;
/** node:crypto, loaded on first use. */
export function nodeCrypto(): Crypto {
  cryptoModule ??= createRequire(import.meta.url)("node:crypto") as Crypto;
  return cryptoModule;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the environment says.
    return process.env["USER"] ?? process.env["USERNAME"] ?? String(process.getuid?.() ?? "user");
  }
}

const NODE_ID = /^[0-9a-f]{12}$/;

export function computeNodeId(cache?: ConfigCache): string {
  const name = `${hostname()}:${userName()}`;
  const key = `node-id:${name}`;
  try {
    const cached = cache?.get(key);
    if (cached !== undefined && NODE_ID.test(cached)) return cached;
  } catch {
    // An unreadable cache only costs the hash.
  }
  const id = nodeCrypto().createHash("sha256").update(name).digest("hex").slice(0, 12);
  try {
    cache?.set(key, id);
  } catch {
    // Computed again next time.
  }
  return id;
}
