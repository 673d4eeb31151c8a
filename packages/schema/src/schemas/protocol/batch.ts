/** `POST /api/v1/events/batch`: many events in, one result per event out. */
import { Type, type Static } from "@sinclair/typebox";
import type { Envelope } from "../envelope.js";
import { EventResult } from "./results.js";

export const BatchRequest = Type.Object(
  {
    events: Type.Array(
      Type.Unsafe<Envelope>({
        type: "object",
        description: "An Envelope; each is validated on its own and answered in results.",
      }),
    ),
  },
  { additionalProperties: false, title: "BatchRequest" },
);

export const BatchResponse = Type.Object(
  {
    /** One per event, in the order of the request. */
    results: Type.Array(EventResult),
    lamport_clock: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, title: "BatchResponse" },
);

export type BatchRequest = Static<typeof BatchRequest>;
export type BatchResponse = Static<typeof BatchResponse>;
