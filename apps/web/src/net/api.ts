/**
 * The hub's HTTP endpoints the page calls, on its own origin: a stream ticket
 * (which also proves the token can read), the admin probe, and older events from
 * history. Failures are values with the hub's own message, never thrown strings.
 */
import type { Envelope, ErrorResponse } from "@events/schema";
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
}

/** Events before `before` (newest first), from the hub's store. */
export async function olderEvents(token: string, query: { before: number; limit: number; project: string | undefined }): Promise<ApiResult<HistoryPage>> {
  const params = new URLSearchParams({ before: String(query.before), limit: String(query.limit) });
  if (query.project !== undefined) params.set("project", query.project);
  const result = await call<{ events: { seq: number; channel: string; event: Envelope }[]; has_more: boolean }>(`/api/v1/events?${params.toString()}`, { token });
  if (!result.ok) return result;
  return { ok: true, value: { events: result.value.events, hasMore: result.value.has_more } };
}
