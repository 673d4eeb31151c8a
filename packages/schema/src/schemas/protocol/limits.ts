/**
 * The hub's limits, advertised in `welcome` and `GET /api/v1/limits`, so that a
 * client splits its batches before the hub has to refuse them.
 */
import { Type, type Static } from "@sinclair/typebox";

export const Limits = Type.Object(
  {
    /** Largest WebSocket frame the hub reads, in bytes. */
    max_frame_bytes: Type.Integer({ minimum: 1 }),
    /** Most events in one publish frame or HTTP batch. */
    max_events_per_batch: Type.Integer({ minimum: 1 }),
    /** Largest HTTP batch body, after decompression, in bytes. */
    max_batch_bytes: Type.Integer({ minimum: 1 }),
    /** Largest single event, serialised, in bytes. */
    max_event_bytes: Type.Integer({ minimum: 1 }),
    /** Events queued for one subscriber before the oldest are dropped. */
    subscriber_queue_events: Type.Integer({ minimum: 1 }),
    /** Bytes queued for one subscriber before the oldest are dropped. */
    subscriber_queue_bytes: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false, title: "Limits" },
);

export type Limits = Static<typeof Limits>;
