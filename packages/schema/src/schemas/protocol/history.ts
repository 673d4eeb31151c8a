/**
 * `GET /api/v1/events?before=&limit=&channel=&project=`: stored events read backwards,
 * newest first, a page at a time (the dashboard's "older events"). Live delivery and
 * resume are the streams' job; this is for looking back.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Envelope } from "../envelope.js";
import { Label } from "../primitives/strings.js";

export const StoredEvent = Type.Object(
  {
    /** The hub's position of the event; the same on every node. */
    seq: Type.Integer({ minimum: 1 }),
    channel: Label,
    event: Envelope,
  },
  { additionalProperties: false, title: "StoredEvent" },
);

export const EventPage = Type.Object(
  {
    /** Newest first; every seq is below the request's `before`. */
    events: Type.Array(StoredEvent),
    /** Whether older events remain: ask again with `before` = the last seq here. */
    has_more: Type.Boolean(),
  },
  { additionalProperties: false, title: "EventPage" },
);

export type StoredEvent = Static<typeof StoredEvent>;
export type EventPage = Static<typeof EventPage>;
