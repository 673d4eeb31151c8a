/**
 * Who is asking, and what they may touch. The admin reads and writes every project
 * and manages tokens; a project token reads and/or writes its one project, never
 * another, and never events without a project.
 */

export type Scope = "read" | "write";

export type Principal =
  | { readonly kind: "admin"; readonly scopes: ReadonlySet<Scope> }
  | { readonly kind: "project"; readonly tokenId: string; readonly project: string; readonly scopes: ReadonlySet<Scope> };

export const ADMIN: Principal = Object.freeze({ kind: "admin", scopes: new Set<Scope>(["read", "write"]) });

export type Access<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * The project a read is confined to: the requested one if allowed, the token's own
 * when none is asked for; `undefined` means every project (admin only).
 */
export function readScope(principal: Principal, requested: string | undefined): Access<string | undefined> {
  if (!principal.scopes.has("read")) return { ok: false, message: "this token has no read scope" };
  if (principal.kind === "admin") return { ok: true, value: requested };
  if (requested !== undefined && requested !== principal.project) {
    return { ok: false, message: `this token reads project ${principal.project} only, not ${requested}` };
  }
  return { ok: true, value: principal.project };
}

/** Whether the principal may read an event of `project` (null: no project). */
export function canRead(principal: Principal, project: string | null): boolean {
  if (!principal.scopes.has("read")) return false;
  return principal.kind === "admin" || project === principal.project;
}

/** Why the principal may not write an event of `project`, or undefined when it may. */
export function writeRefusal(principal: Principal, project: string | null): string | undefined {
  if (!principal.scopes.has("write")) return "this token has no write scope";
  if (principal.kind === "admin" || project === principal.project) return undefined;
  return `this token writes project ${principal.project} only, not ${project ?? "events without a project"}`;
}
