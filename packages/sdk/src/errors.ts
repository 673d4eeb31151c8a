/**
 * The one error class of @events/sdk. `emit()` never throws it: emits return
 * results. It is what the outbox's sync-side methods throw, and what storage
 * failures are classified into before they become warnings.
 */

export type EventsSdkErrorCode =
  /** The event failed validation; its issues say why. */
  | "invalid_event"
  /** queue.db cannot be opened or written for a reason not listed below. */
  | "storage_unavailable"
  /** queue.db is not a database, or is damaged. */
  | "storage_corrupt"
  /** The state directory or queue.db cannot be written. */
  | "storage_read_only"
  /** The disk (or the database's page ceiling) is full. */
  | "storage_full"
  /** Another process held the write lock past the busy timeout. */
  | "storage_busy"
  /** The outbox is at its cap and the policy is `reject-new`. */
  | "queue_full"
  /** The emitter was closed. */
  | "closed"
  /** A bug: something threw that should not have. */
  | "internal";

/** Codes worth retrying later: the condition may clear by itself. */
export const RETRYABLE_CODES: ReadonlySet<EventsSdkErrorCode> = new Set<EventsSdkErrorCode>([
  "storage_unavailable",
  "storage_read_only",
  "storage_full",
  "storage_busy",
]);

export class EventsSdkError extends Error {
  override readonly name = "EventsSdkError";
  readonly code: EventsSdkErrorCode;

  constructor(code: EventsSdkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }
}

const SQLITE_CODES: ReadonlyArray<readonly [prefix: string, code: EventsSdkErrorCode]> = [
  ["SQLITE_CORRUPT", "storage_corrupt"],
  ["SQLITE_NOTADB", "storage_corrupt"],
  ["SQLITE_FULL", "storage_full"],
  ["SQLITE_READONLY", "storage_read_only"],
  ["SQLITE_PERM", "storage_read_only"],
  ["SQLITE_AUTH", "storage_read_only"],
  ["SQLITE_BUSY", "storage_busy"],
  ["SQLITE_LOCKED", "storage_busy"],
];

const FS_CODES: Readonly<Record<string, EventsSdkErrorCode>> = {
  EACCES: "storage_read_only",
  EPERM: "storage_read_only",
  EROFS: "storage_read_only",
  ENOSPC: "storage_full",
  EDQUOT: "storage_full",
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Converts anything thrown by storage or the file system into an EventsSdkError. */
export function toSdkError(error: unknown, fallback: EventsSdkErrorCode = "storage_unavailable"): EventsSdkError {
  if (error instanceof EventsSdkError) return error;
  const raw = codeOf(error);
  let code: EventsSdkErrorCode = fallback;
  if (raw !== undefined) {
    code = SQLITE_CODES.find(([prefix]) => raw.startsWith(prefix))?.[1] ?? FS_CODES[raw] ?? fallback;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EventsSdkError(code, raw === undefined ? message : `${raw}: ${message}`, { cause: error });
}

/** The raw driver or system code (`SQLITE_READONLY_DBMOVED`, `EACCES`), when there is one. */
export function rawCodeOf(error: unknown): string | undefined {
  return error instanceof EventsSdkError ? codeOf(error.cause) : codeOf(error);
}
