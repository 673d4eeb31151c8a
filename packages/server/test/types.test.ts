/** The public API's types, as callers (the CLI, the SDK's tests) rely on them. */
import { describe, expectTypeOf, it } from "vitest";
import { type HubError, startHub, type Hub, type HubErrorCode, type HubOptions } from "../src/index.js";

describe("public types", () => {
  it("startHub takes options and resolves to a handle with url, adminToken and close", () => {
    expectTypeOf(startHub).parameter(0).toEqualTypeOf<HubOptions | undefined>();
    expectTypeOf(startHub).returns.resolves.toEqualTypeOf<Hub>();
    expectTypeOf<Hub["url"]>().toEqualTypeOf<string>();
    expectTypeOf<Hub["adminToken"]>().toEqualTypeOf<string | null>();
    expectTypeOf<Hub["close"]>().returns.toEqualTypeOf<Promise<void>>();
  });

  it("options accept a datagram path or false, and partial limits", () => {
    expectTypeOf<{ socketPath: false }>().toMatchTypeOf<HubOptions>();
    expectTypeOf<{ limits: { max_frame_bytes: number } }>().toMatchTypeOf<HubOptions>();
    expectTypeOf<{ limits: { max_frame_bytes: string } }>().not.toMatchTypeOf<HubOptions>();
  });

  it("HubError carries a literal code union", () => {
    expectTypeOf<HubError["code"]>().toEqualTypeOf<HubErrorCode>();
    expectTypeOf<"unavailable">().toMatchTypeOf<HubErrorCode>();
    expectTypeOf<"teapot">().not.toMatchTypeOf<HubErrorCode>();
  });
});
