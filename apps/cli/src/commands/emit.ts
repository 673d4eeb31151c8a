/** `events emit` and the friendly commands for the common event types. */
import type { EventType, PayloadOf } from "@events/schema";
import type { EmitOptions } from "@events/sdk";
import { closeEmitter, openEmitter, reportEmit, type EmitterFlags } from "../emitter.js";
import { usageError } from "../errors.js";
import { applySets, parseJsonObject } from "../payload.js";

export interface EmitFlags extends EmitterFlags {
  payload?: string;
  set?: string[];
  json?: boolean;
  causationId?: string;
  correlationId?: string;
}

function emitOptions(flags: EmitFlags): EmitOptions {
  return {
    ...(flags.causationId === undefined ? {} : { causationId: flags.causationId }),
    ...(flags.correlationId === undefined ? {} : { correlationId: flags.correlationId }),
  };
}

/** `events emit <EventType> --payload JSON | --set k=v ...` */
export async function emitCommand(eventType: string, flags: EmitFlags): Promise<void> {
  const { EVENT_TYPES, isEventType } = await import("@events/schema");
  if (!isEventType(eventType)) {
    throw usageError(`unknown event type "${eventType}"`, `known types: ${EVENT_TYPES.join(", ")}`);
  }
  const base = flags.payload === undefined ? {} : parseJsonObject(flags.payload, "--payload");
  const payload = applySets(base, flags.set ?? []);
  await emitTyped(eventType, payload as PayloadOf<EventType>, { flags, summary: eventType });
}

export interface TypedEmit {
  flags: EmitFlags;
  summary: string;
}

export async function emitTyped<T extends EventType>(eventType: T, payload: PayloadOf<T>, how: TypedEmit): Promise<void> {
  const emitter = await openEmitter(how.flags);
  try {
    const result = emitter.emit(eventType, payload, emitOptions(how.flags));
    reportEmit(result, { summary: how.summary, ...(how.flags.json === undefined ? {} : { json: how.flags.json }) });
  } finally {
    await closeEmitter(emitter);
  }
}
