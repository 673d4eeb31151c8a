/**
 * What a failed write means to the client that sent it. A store without space
 * (SQLite's SQLITE_FULL, PostgreSQL's disk_full, the file system's ENOSPC or EDQUOT)
 * is `storage_full`; anything else is `unavailable`. Both are retryable, and neither
 * stored any of the write: the transaction was rolled back, so a retry is safe.
 */
import { HubError } from "../errors.js";

/** Driver and system codes that say the store has no space left. */
const FULL_CODES: ReadonlySet<string> = new Set([
  "SQLITE_FULL",
  /** PostgreSQL's SQLSTATE disk_full. */
  "53100",
  "ENOSPC",
  "EDQUOT",
]);

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** Whether `error`, or an error it wraps, says the store is full. */
function isStorageFull(error: unknown): boolean {
  for (let depth = 0; depth < 5 && typeof error === "object" && error !== null; depth++) {
    const code = codeOf(error);
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
    error = (error as { cause?: unknown }).cause;
  }
  return false;
}

/** A failed write as a HubError (`storage_full` or `unavailable`); a HubError passes through. */
export function storeFailure(error: unknown): HubError {
  if (error instanceof HubError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return isStorageFull(error)
    ? new HubError("storage_full", `the hub's store is full (${message})`, { cause: error })
    : new HubError("unavailable", `the hub's store failed (${message})`, { cause: error });
}
