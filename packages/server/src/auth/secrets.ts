/**
 * Token material: random secrets, their SHA-256 digests (the only form the store
 * keeps) and constant-time comparison of digests.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A random secret with a readable prefix, e.g. `evt_…` (32 random bytes, base64url). */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString("base64url")}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Compares two hex digests in time independent of where they differ. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
