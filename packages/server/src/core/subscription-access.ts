/**
 * Whether a principal may subscribe to a channel of a project: one rule for every
 * transport. A channel the hub cannot have is `unknown_channel`, a project the token
 * may not read is `forbidden`; both name the channel, so a client is told why instead
 * of being answered `subscribed` and then hearing nothing.
 */
import { isKnownChannel, type ErrorCode } from "@events/schema";
import { readScope, type Principal } from "../auth/principal.js";

export const CHANNEL_HELP = "events, tasks, problems, session:<id>, machine:<name>, a prefix:* of the last two, or none for all";

export type SubscriptionAccess =
  | { readonly ok: true; /** The project to filter by; undefined: every project the principal reads. */ readonly project: string | undefined }
  | { readonly ok: false; readonly code: Extract<ErrorCode, "unknown_channel" | "forbidden">; readonly message: string };

export function subscriptionAccess(principal: Principal, request: { readonly channel?: string | undefined; readonly project?: string | undefined }): SubscriptionAccess {
  const { channel } = request;
  if (!isKnownChannel(channel)) {
    return { ok: false, code: "unknown_channel", message: `unknown channel ${JSON.stringify(channel)}: subscribe to ${CHANNEL_HELP}` };
  }
  const scope = readScope(principal, request.project);
  if (!scope.ok) {
    const what = channel === undefined || channel === "" || channel === "*" ? "every channel" : `channel ${JSON.stringify(channel)}`;
    return { ok: false, code: "forbidden", message: `forbidden: ${what}: ${scope.message}` };
  }
  return { ok: true, project: scope.value };
}
