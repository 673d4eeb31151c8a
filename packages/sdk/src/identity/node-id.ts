/**
 * The node id: stable per machine and user, and short. It is the first 12 hex
 * digits of sha256("<hostname>:<user>"), as the system we learn from computes it,
 * so one person on one machine keeps one Lamport sequence whatever the process.
 */
import { createHash } from "node:crypto";
import { hostname, userInfo } from "node:os";

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the environment says.
    return process.env["USER"] ?? process.env["USERNAME"] ?? String(process.getuid?.() ?? "user");
  }
}

export function computeNodeId(): string {
  return createHash("sha256").update(`${hostname()}:${userName()}`).digest("hex").slice(0, 12);
}
