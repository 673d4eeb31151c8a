/**
 * Reads one channel's history backwards, page by page, for the board and the
 * sessions: the page starts from the newest events, so what came before them is
 * read here, up to a limit, while the live stream already runs. A failed page is
 * retried with backoff a few times; the caller hears `failed` (with the hub's
 * message) rather than a silent hole.
 */
import { backoffDelay } from "@events/client";
import type { LiveEvent } from "../state/live-event.js";
import { olderEvents, type AuthProblem } from "./api.js";
import { RETRY_BACKOFF } from "./connection-state.js";

export interface BackfillOptions {
  readonly token: string;
  readonly project: string | undefined;
  /** A channel or `prefix:*` pattern. */
  readonly channel: string;
  /** Read events before this position (a token, as history takes it). */
  readonly before: string;
  /** Stop after this many events (the result is then `partial`). */
  readonly maxEvents: number;
  /** Events per request. @default 1_000 */
  readonly pageSize?: number;
  /** Attempts per page before giving up. @default 4 */
  readonly attempts?: number;
  /** Called with each page (newest first). */
  readonly onPage: (events: readonly LiveEvent[]) => void;
  /** False once the page moved on (token, project or store changed): stop quietly. */
  readonly isCurrent: () => boolean;
}

export type BackfillResult =
  | { readonly kind: "done" | "partial" | "cancelled" }
  | { readonly kind: "failed"; readonly message: string; readonly auth?: AuthProblem };

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const pageSize = options.pageSize ?? 1_000;
  const attempts = options.attempts ?? 4;
  let before = options.before;
  let read = 0;
  for (;;) {
    let attempt = 0;
    for (;;) {
      const page = await olderEvents(options.token, { before, limit: pageSize, project: options.project, channel: options.channel });
      if (!options.isCurrent()) return { kind: "cancelled" };
      if (page.ok) {
        options.onPage(page.value.events);
        read += page.value.events.length;
        if (!page.value.hasMore || page.value.events.length === 0) return { kind: "done" };
        if (read >= options.maxEvents) return { kind: "partial" };
        before = page.value.next;
        break;
      }
      if (page.auth !== undefined || ++attempt >= attempts) return page.auth === undefined ? { kind: "failed", message: page.message } : { kind: "failed", message: page.message, auth: page.auth };
      await new Promise((resolve) => setTimeout(resolve, 200 + backoffDelay(attempt, RETRY_BACKOFF)));
      if (!options.isCurrent()) return { kind: "cancelled" };
    }
  }
}
