/**
 * The computed WebSocket channels, whose frames are the bare kind-tagged frames of
 * @events/schema (no envelope):
 *  - `GET /api/v1/sessions/{id}/events`: that session's frames from its start (or
 *    after `?since=`, a position token or a protocol-1 seq), then live; closed with 1000 after `done` or `failed`, with
 *    4404 for a session the hub has never seen.
 *  - `GET /api/v1/problems/events`: a `snapshot` of the project's findings on join,
 *    then `delta`s the hub computes from successive snapshots.
 * Neither has a gap frame: a subscriber that falls behind is closed with 4429.
 */
import { CLOSE_CODES, sessionChannel, TERMINAL_SESSION_KINDS, type Position } from "@events/schema";
import { canRead, readScope, type Principal } from "../auth/principal.js";
import { textFrame, type PublishedEvent } from "../broker/published-event.js";
import type { Subscriber } from "../broker/subscriber.js";
import type { HubCore } from "../core/hub-core.js";
import type { WsPeer } from "./ws-peer.js";

export async function openSessionChannel(
  core: HubCore,
  peer: WsPeer,
  request: { principal: Principal; sessionId: string; since: Position | number | undefined },
): Promise<Subscriber | undefined> {
  const session = await core.store.session(request.sessionId);
  if (peer.closing) return undefined;
  if (session === undefined) {
    peer.close(CLOSE_CODES.notFound, "session_not_found");
    return undefined;
  }
  if (!canRead(request.principal, session.project)) {
    peer.close(CLOSE_CODES.forbidden, "this token may not read this session's project");
    return undefined;
  }
  const sink = peer.sink();
  return core.openStream({
    filter: { channel: sessionChannel(session.sessionId), project: session.project ?? undefined },
    framer: { event: (event) => textFrame(event.payload()) },
    sink,
    since: request.since ?? FROM_START,
    opened: () => undefined,
    endsAfter: isTerminal,
    onClosed: () => sink.detach(),
  });
}

export function openProblemsChannel(
  core: HubCore,
  peer: WsPeer,
  request: { principal: Principal; project: string | undefined },
): Subscriber | undefined {
  const scope = readScope(request.principal, request.project);
  if (!scope.ok) {
    peer.close(CLOSE_CODES.forbidden, scope.message);
    return undefined;
  }
  // The admin without ?project= watches the findings published without a project.
  const project = scope.value ?? null;
  const sink = peer.sink();
  const subscriber = core.openDirect({
    sink,
    onClosed: () => {
      sink.detach();
      core.problems.leave(subscriber, project);
    },
  });
  core.problems.join(subscriber, project);
  return subscriber;
}

/** The empty position: every stream from its start. */
const FROM_START: Position = new Map();

function isTerminal(event: PublishedEvent): boolean {
  if (event.eventType !== "SessionEvent") return false;
  const payload = event.parsedPayload() as { kind?: unknown };
  return typeof payload.kind === "string" && TERMINAL_SESSION_KINDS.has(payload.kind);
}
