/** What an emit takes and returns. An emit never throws: it returns one of these. */
import type { EnvelopeOf, EventType, Issue } from "@events/schema";

export interface EmitOptions {
  /** Groups the events one action causes; see `generateCausationId()`. @default null */
  causationId?: string | null;
  /** One run of a mission. @default the emitter's `correlationId` */
  correlationId?: string | null;
  /** The aggregate, where the payload does not name it (session and problems events). @default derived from the payload */
  aggregateId?: string;
  /** Use this ULID instead of a new one: an event id already queued is stored once (`duplicate: true`). @default a new ULID */
  eventId?: string;
}

export type EmitFailureReason =
  /** The event does not match the schema; `issues` say where. Nothing was queued. */
  | "invalid"
  /** The outbox is at its cap and `capPolicy` is `reject-new`. */
  | "queue_full"
  /** The disk cannot take events and `maxMemoryEvents` already wait in memory. */
  | "unavailable"
  /** The emitter was closed. */
  | "closed"
  /** A bug in the SDK; reported with a warning. */
  | "internal";

export interface EmitSuccess<T extends EventType = EventType> {
  readonly ok: true;
  /** The event as stored (lane aliases made canonical, clock stamped). */
  readonly event: EnvelopeOf<T>;
  /** True when it is in queue.db; false while it waits in memory for the disk (its clock is then provisional). */
  readonly durable: boolean;
  /** True when an event with this `event_id` was already queued; `event` is the queued one. */
  readonly duplicate: boolean;
}

export interface EmitFailure {
  readonly ok: false;
  readonly reason: EmitFailureReason;
  readonly message: string;
  readonly issues?: readonly Issue[];
}

export type EmitResult<T extends EventType = EventType> = EmitSuccess<T> | EmitFailure;
