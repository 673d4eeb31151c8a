/**
 * `GET /api/v1/events`: stored events a page at a time. `?before=<position>` reads
 * backwards, newest first (the dashboard's "older events"): in each stream the token
 * names, only seqs below its seq; streams it does not name are not bounded. `?after=
 * <position>` reads forwards, oldest first within each stream, from that position
 * (a stream it does not name from its start). Either way `next` is the token for the
 * following page, so paging has no gap and no duplicate in any stream.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Envelope } from "../envelope.js";
import { Label, PositionToken, StreamId } from "../primitives/strings.js";

export const StoredEvent = Type.Object(
  {
    /** The event's stream (its project uuid, or `-`). */
    stream: StreamId,
    /** The event's number in its stream; the same on every node. */
    seq: Type.Integer({ minimum: 1 }),
    channel: Label,
    event: Envelope,
  },
  { additionalProperties: false, title: "StoredEvent" },
);

export const EventPage = Type.Object(
  {
    /** `before`: newest first. `after`: oldest first within each stream. */
    events: Type.Array(StoredEvent),
    /** Whether more remain in the direction read. */
    has_more: Type.Boolean(),
    /** The position to send as the next page's `before` (or `after`). */
    next: PositionToken,
  },
  { additionalProperties: false, title: "EventPage" },
);

export type StoredEvent = Static<typeof StoredEvent>;
export type EventPage = Static<typeof EventPage>;
