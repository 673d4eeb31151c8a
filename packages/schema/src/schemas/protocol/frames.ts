/**
 * The hub's WebSocket protocol at `/api/v1/ws`, tagged by `type`. A client says
 * `hello` and gets `welcome` (with the hub's limits); it may then `publish` events
 * (each answered in one `ack`, per event) and `subscribe` from a position (replay
 * from the store, then live, with no gap and no duplicate in any stream);
 * `unsubscribe` is answered `unsubscribed`. The log is split into streams (one per
 * project, `-` for events without one), each numbered from 1; a position is the last
 * seq seen per stream, written as a PositionToken. `gap` says events of one stream
 * were dropped for a slow subscriber; `reset` says a position can no longer be served
 * in some streams. Silence is never a signal.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Envelope } from "../envelope.js";
import { Label, PositionToken, Seq, StreamId } from "../primitives/strings.js";
import { TaggedUnion } from "../primitives/tagged-union.js";
import { StringEnum } from "../primitives/compact.js";
import { ErrorCodeSchema } from "./errors.js";
import { PROTOCOL_VERSION } from "../../constants.js";
import { Issue } from "./issue.js";
import { Limits } from "./limits.js";
import { EventResult } from "./results.js";

const closed = { additionalProperties: false } as const;
const Ref = Type.String({ minLength: 1, maxLength: 64 });
/** An event as sent by a client: validated one by one, so one bad event is rejected alone. */
const OutgoingEvent = Type.Unsafe<Envelope>({
  type: "object",
  description: "An Envelope; each is validated on its own and answered in the ack.",
});

export const HelloFrame = Type.Object(
  {
    type: Type.Literal("hello"),
    protocol: Type.Literal(PROTOCOL_VERSION),
    /** Instead of the Authorization header, for clients that cannot set one. */
    token: Type.Optional(Type.String({ maxLength: 512 })),
    client: Type.Optional(Label),
  },
  { ...closed, title: "HelloFrame" },
);

export const WelcomeFrame = Type.Object(
  {
    type: Type.Literal("welcome"),
    protocol: Type.Literal(PROTOCOL_VERSION),
    hub_version: Label,
    node_id: Label,
    limits: Limits,
    heartbeat_ms: Type.Integer({ minimum: 0 }),
    /** The highest Lamport value the hub has seen; clients `observe()` it. */
    lamport_clock: Type.Integer({ minimum: 0 }),
  },
  { ...closed, title: "WelcomeFrame" },
);

export const PublishFrame = Type.Object(
  { type: Type.Literal("publish"), ref: Ref, events: Type.Array(OutgoingEvent, { minItems: 1 }) },
  { ...closed, title: "PublishFrame" },
);

export const AckFrame = Type.Object(
  {
    type: Type.Literal("ack"),
    ref: Ref,
    results: Type.Array(EventResult),
    lamport_clock: Type.Integer({ minimum: 0 }),
  },
  { ...closed, title: "AckFrame" },
);

export const SubscribeFrame = Type.Object(
  {
    type: Type.Literal("subscribe"),
    sub: Ref,
    /** A channel (`events`, `tasks`, `problems`, `session:<id>`, `machine:<name>`); all when absent. */
    channel: Type.Optional(Label),
    /** A project uuid; the token's project when absent. */
    project: Type.Optional(Label),
    /**
     * Resume after this position (a PositionToken; `""` is the start of every stream);
     * live only when absent. A bare integer is a position from protocol 1 (one seq for
     * the whole log): the hub translates it where it can and answers `reset` where not.
     */
    since: Type.Optional(Type.Union([PositionToken, Seq])),
  },
  { ...closed, title: "SubscribeFrame" },
);

export const UnsubscribeFrame = Type.Object(
  { type: Type.Literal("unsubscribe"), sub: Ref },
  { ...closed, title: "UnsubscribeFrame" },
);

/** The answer to an `unsubscribe`: nothing more is sent for `sub`. */
export const UnsubscribedFrame = Type.Object(
  { type: Type.Literal("unsubscribed"), sub: Ref },
  { ...closed, title: "UnsubscribedFrame" },
);

export const SubscribedFrame = Type.Object(
  {
    type: Type.Literal("subscribed"),
    sub: Ref,
    /**
     * Delivery continues after this position: the `since` asked for, moved where a
     * `reset` follows; for a live-only subscription, every stream's newest seq.
     */
    position: PositionToken,
  },
  { ...closed, title: "SubscribedFrame" },
);

export const MessageFrame = Type.Object(
  {
    type: Type.Literal("message"),
    sub: Ref,
    /** The event's stream: its project uuid, or `-`. */
    stream: StreamId,
    /** The event's number in its stream, from 1, without holes. */
    seq: Type.Integer({ minimum: 1 }),
    channel: Label,
    event: Envelope,
  },
  { ...closed, title: "MessageFrame" },
);

/** The fields of a `gap`, shared with the SSE `gap` event's data. */
export const GapFields = {
  /** The stream whose events were dropped. */
  stream: StreamId,
  /** Events of `stream` after `from_seq` up to and including `to_seq` were not delivered. */
  from_seq: Seq,
  to_seq: Seq,
  reason: StringEnum(["slow_consumer", "bus_gap"], {
    description: "slow_consumer: dropped for a slow subscriber. bus_gap is reserved: the hub does not send it at present.",
  }),
};

/** The fields of a `reset`, shared with the SSE `reset` event's data. */
export const ResetFields = {
  reason: StringEnum(["position_unavailable", "position_ahead"], {
    description:
      "position_unavailable: events after the position were pruned, or a protocol-1 seq could not be translated. position_ahead: the position names seqs the hub has not stored.",
  }),
  /** The streams whose position moved (each named once). */
  streams: Type.Array(StreamId, { maxItems: 4096 }),
  /** Where delivery continues from, in every stream (the same as `subscribed.position`). */
  position: PositionToken,
  message: Type.String({ maxLength: 1024 }),
};

export const GapFrame = Type.Object(
  { type: Type.Literal("gap"), sub: Ref, ...GapFields },
  { ...closed, title: "GapFrame" },
);

export const ResetFrame = Type.Object(
  { type: Type.Literal("reset"), sub: Ref, ...ResetFields },
  { ...closed, title: "ResetFrame" },
);

export const PingFrame = Type.Object(
  { type: Type.Literal("ping"), ts: Type.Optional(Type.Number()) },
  { ...closed, title: "PingFrame" },
);

export const PongFrame = Type.Object(
  { type: Type.Literal("pong"), ts: Type.Optional(Type.Number()) },
  { ...closed, title: "PongFrame" },
);

export const ErrorFrame = Type.Object(
  {
    type: Type.Literal("error"),
    code: ErrorCodeSchema,
    message: Type.String({ maxLength: 8192 }),
    ref: Type.Optional(Ref),
    /** The subscription refused (`unknown_channel`, `forbidden`, `bad_request` past 64 per connection). */
    sub: Type.Optional(Ref),
    /** The channel refused, as the subscribe frame named it. */
    channel: Type.Optional(Label),
    issues: Type.Optional(Type.Array(Issue)),
  },
  { ...closed, title: "ErrorFrame" },
);

export const ClientFrame = TaggedUnion(
  "type",
  [HelloFrame, PublishFrame, SubscribeFrame, UnsubscribeFrame, PingFrame, PongFrame],
  { title: "ClientFrame", description: "A frame a client sends on /api/v1/ws." },
);

export const HubFrame = TaggedUnion(
  "type",
  [WelcomeFrame, AckFrame, SubscribedFrame, UnsubscribedFrame, MessageFrame, GapFrame, ResetFrame, PingFrame, PongFrame, ErrorFrame],
  { title: "HubFrame", description: "A frame the hub sends on /api/v1/ws." },
);

export type HelloFrame = Static<typeof HelloFrame>;
export type WelcomeFrame = Static<typeof WelcomeFrame>;
export type PublishFrame = Static<typeof PublishFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type SubscribeFrame = Static<typeof SubscribeFrame>;
export type UnsubscribeFrame = Static<typeof UnsubscribeFrame>;
export type SubscribedFrame = Static<typeof SubscribedFrame>;
export type UnsubscribedFrame = Static<typeof UnsubscribedFrame>;
export type MessageFrame = Static<typeof MessageFrame>;
export type GapFrame = Static<typeof GapFrame>;
export type ResetFrame = Static<typeof ResetFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type PongFrame = Static<typeof PongFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type ClientFrame = Static<typeof ClientFrame>;
export type HubFrame = Static<typeof HubFrame>;
