/**
 * A validation issue: data, never an exception. `path` is a JSON Pointer into the
 * value that was checked (`""` for the value itself).
 */
import { Type, type Static } from "@sinclair/typebox";

export const Issue = Type.Object(
  {
    path: Type.String({ maxLength: 4096 }),
    expected: Type.String({ maxLength: 4096 }),
    received: Type.String({ maxLength: 4096 }),
    message: Type.String({ maxLength: 8192 }),
  },
  { additionalProperties: false, title: "Issue" },
);

export type Issue = Static<typeof Issue>;
