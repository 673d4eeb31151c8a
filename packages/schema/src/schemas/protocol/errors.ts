/**
 * The error body the hub answers with over every transport; the codes themselves
 * are in src/constants.ts.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Issue } from "./issue.js";
import { Limits } from "./limits.js";
import { StringEnum } from "../primitives/compact.js";
import { ERROR_CODES } from "../../constants.js";

export const ErrorCodeSchema = StringEnum(ERROR_CODES, { title: "ErrorCode" });

export const ErrorBody = Type.Object(
  {
    code: ErrorCodeSchema,
    message: Type.String({ maxLength: 8192 }),
    issues: Type.Optional(Type.Array(Issue)),
    limits: Type.Optional(Limits),
  },
  { additionalProperties: false, title: "ErrorBody" },
);

/** The body of every non-2xx HTTP answer. */
export const ErrorResponse = Type.Object(
  { error: ErrorBody },
  { additionalProperties: false, title: "ErrorResponse" },
);

export type ErrorBody = Static<typeof ErrorBody>;
export type ErrorResponse = Static<typeof ErrorResponse>;
