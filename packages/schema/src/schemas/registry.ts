/**
 * Every top-level message, in one list: the validator generator compiles each,
 * the JSON Schema export writes each, and the codec dispatches on each union's tag.
 * Adding a message here is the whole of adding it to every language.
 */
import type { TObject, TSchema } from "@sinclair/typebox";
import { Envelope } from "./envelope.js";
import { Finding, ProblemsFrame, ProblemsSnapshotPayload } from "./channels/problems-frames.js";
import { SessionFrame } from "./channels/session-frames.js";
import { MachineControlMessage, MachineDatagram } from "./domain/machine-events.js";
import { BatchRequest, BatchResponse } from "./protocol/batch.js";
import { ErrorResponse } from "./protocol/errors.js";
import { ClientFrame, HubFrame } from "./protocol/frames.js";
import { EventPage } from "./protocol/history.js";
import { Issue } from "./protocol/issue.js";
import { Limits } from "./protocol/limits.js";
import { EventResult } from "./protocol/results.js";
import { SseEndData, SseGapData, SseReadyData, SseResetData } from "./protocol/sse.js";

export interface UnionEntry {
  readonly name: string;
  readonly schema: TSchema & { oneOf: readonly TObject[]; discriminator: { propertyName: string } };
}

/** Unions the codec dispatches on by tag; one generated validator per member. */
export const UNIONS = [
  { name: "Envelope", schema: Envelope },
  { name: "SessionFrame", schema: SessionFrame },
  { name: "ProblemsFrame", schema: ProblemsFrame },
  { name: "ClientFrame", schema: ClientFrame },
  { name: "HubFrame", schema: HubFrame },
  { name: "EventResult", schema: EventResult },
] as const satisfies readonly UnionEntry[];

/** Messages that are not unions; one generated validator each. */
export const MESSAGES = [
  { name: "BatchRequest", schema: BatchRequest },
  { name: "BatchResponse", schema: BatchResponse },
  { name: "ErrorResponse", schema: ErrorResponse },
  { name: "EventPage", schema: EventPage },
  { name: "Limits", schema: Limits },
  { name: "MachineDatagram", schema: MachineDatagram },
  { name: "MachineControlMessage", schema: MachineControlMessage },
  { name: "ProblemsSnapshotPayload", schema: ProblemsSnapshotPayload },
  { name: "Finding", schema: Finding },
  { name: "Issue", schema: Issue },
  { name: "SseReadyData", schema: SseReadyData },
  { name: "SseResetData", schema: SseResetData },
  { name: "SseGapData", schema: SseGapData },
  { name: "SseEndData", schema: SseEndData },
] as const satisfies readonly { name: string; schema: TSchema }[];

export type UnionName = (typeof UNIONS)[number]["name"];
export type MessageName = (typeof MESSAGES)[number]["name"];

/** The title of each member of a union, by tag value. */
export function membersByTag(union: UnionEntry["schema"]): ReadonlyMap<string, string> {
  const tag = union.discriminator.propertyName;
  return new Map(
    union.oneOf.map((member) => [String(member.properties[tag]?.["const"]), String(member["title"])]),
  );
}

/** Every named schema: unions, their members and the plain messages, by title. */
export function namedSchemas(): Map<string, TSchema> {
  const named = new Map<string, TSchema>();
  for (const union of UNIONS) {
    named.set(union.name, union.schema);
    for (const member of union.schema.oneOf) named.set(String(member["title"]), member);
  }
  for (const message of MESSAGES) named.set(message.name, message.schema);
  return named;
}
