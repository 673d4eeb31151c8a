/**
 * Whether a publish (a WebSocket `publish` frame, an HTTP batch) is taken at all, and
 * what a failed store means to its sender: one set of rules for every transport,
 * which only turn the answer into their wire form (a close code, an `error` frame
 * with the `ref`, an HTTP status). A refused publish stored nothing, and neither did
 * a failed one, so the sender may send the same events again.
 */
import type { ErrorCode, Limits } from "@events/schema";
import type { Principal } from "../auth/principal.js";
import { HubError } from "../errors.js";

export type PublishRefusalCode = Extract<ErrorCode, "unauthenticated" | "forbidden" | "batch_too_large" | "unavailable">;

export type PublishAccess =
  | { readonly ok: true; /** Who writes: each event's project is checked against it by ingest. */ readonly principal: Principal }
  | {
      readonly ok: false;
      readonly code: PublishRefusalCode;
      readonly message: string;
      /** With `batch_too_large`: the limits the sender must split by. */
      readonly limits?: Readonly<Limits>;
    };

export interface PublishContext {
  readonly limits: Readonly<Limits>;
  /** The hub is shutting down: nothing new is stored. */
  readonly closing: boolean;
}

/**
 * The rules, in the order a sender fixes them: who it is (`unauthenticated`), whether
 * it may write at all (`forbidden`), whether the hub takes writes now (`unavailable`),
 * then the batch's size (`batch_too_large`). Which project each event may name is
 * checked per event by ingest.
 */
export function publishAccess(principal: Principal | undefined, eventCount: number, context: PublishContext): PublishAccess {
  if (principal === undefined) {
    return { ok: false, code: "unauthenticated", message: "authenticate first (hello with a token, or Authorization: Bearer <token>)" };
  }
  if (!principal.scopes.has("write")) return { ok: false, code: "forbidden", message: "this token has no write scope" };
  if (context.closing) {
    return { ok: false, code: "unavailable", message: "the hub is shutting down; nothing was stored: publish again after reconnecting" };
  }
  const max = context.limits.max_events_per_batch;
  if (eventCount > max) {
    return {
      ok: false,
      code: "batch_too_large",
      message: `${eventCount} events > max_events_per_batch ${max}; split them and send again (the limits are in welcome and GET /api/v1/limits)`,
      limits: context.limits,
    };
  }
  return { ok: true, principal };
}

export interface IngestFailure {
  readonly code: Extract<ErrorCode, "storage_full" | "unavailable">;
  readonly message: string;
}

/**
 * What a rejected `HubCore.ingest` tells the sender of a `frame` or a `batch`: a full
 * store is `storage_full`, anything else `unavailable`; both retryable, nothing stored.
 */
export function ingestFailure(error: unknown, what: "frame" | "batch"): IngestFailure {
  if (error instanceof HubError && error.code === "storage_full") {
    return { code: "storage_full", message: `the hub's store is full (no space left); nothing of this ${what} was stored: send it again later (retryable)` };
  }
  return { code: "unavailable", message: `the hub could not store this ${what}; retry it later` };
}
