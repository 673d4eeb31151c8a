/**
 * The hub's HTTP endpoints the page calls, on its own origin: a stream ticket
 * (which also proves the token can read), the admin probe, and older events from
 * history. Failures are values with the hub's own message, never thrown strings.
 */
import { parsePosition, type ErrorResponse } from "@events/schema";
import { isLiveEvent } from "./frames.js";
import type { LiveEvent } from "../state/live-event.js";

export type AuthProblem = "missing" | "refused" | "forbidden";

export type ApiResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly auth?: AuthProblem };

async function call<T>(path: string, init: { token: string; method?: string }): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, { method: init.method ?? "GET", headers: { authorization: `Bearer ${init.token}` }, cache: "no-store" });
  } catch (error) {
    return { ok: false, status: 0, message: `the hub could not be reached (${String(error)})` };
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, value: body as T };
  const message = (body as ErrorResponse | undefined)?.error?.message ?? `HTTP ${response.status}`;
  const auth: AuthProblem | undefined = response.status === 401 ? "refused" : response.status === 403 ? "forbidden" : undefined;
  return auth === undefined ? { ok: false, status: response.status, message } : { ok: false, status: response.status, message, auth };
}

/** A short-lived read-only ticket for the stream endpoints; a 401/403 means the token is refused. */
export function streamTicket(token: string): Promise<ApiResult<{ ticket: string; expires_at: string }>> {
  return call("/api/v1/stream-tickets", { token, method: "POST" });
}

/** Whether the token is the admin's (it may read every project, and events without one). */
export async function isAdmin(token: string): Promise<boolean> {
  const result = await call("/api/v1/tokens", { token });
  return result.ok;
}

export interface HistoryPage {
  readonly events: readonly LiveEvent[];
  readonly hasMore: boolean;
  /** The position to read the following page before. */
  readonly next: string;
}

export interface HistoryQuery {
  /**
   * Events before this position: in each stream it names, seqs below its entry;
   * streams it does not name are not bounded. The newest of everything when
   * undefined (or the empty token).
   */
  readonly before?: string | undefined;
  readonly limit: number;
  readonly project: string | undefined;
  /** One channel or a `prefix:*` pattern; every channel when undefined. */
  readonly channel?: string | undefined;
}

/** Events before `before` (newest first), from the hub's store. Entries the page cannot read are dropped. */
export async function olderEvents(token: string, query: HistoryQuery): Promise<ApiResult<HistoryPage>> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.before !== undefined && query.before !== "") params.set("before", query.before);
  if (query.project !== undefined) params.set("project", query.project);
  if (query.channel !== undefined) params.set("channel", query.channel);
  const result = await call<{ events?: unknown; has_more?: unknown; next?: unknown }>(`/api/v1/events?${params.toString()}`, { token });
  if (!result.ok) return result;
  const events = Array.isArray(result.value?.events) ? (result.value.events as unknown[]) : undefined;
  const next = result.value?.next;
  if (events === undefined || typeof next !== "string" || parsePosition(next) === undefined) {
    return { ok: false, status: 200, message: "the hub answered history with something that is not an event page" };
  }
  return { ok: true, value: { events: events.filter(isLiveEvent), hasMore: result.value.has_more === true, next } };
}
