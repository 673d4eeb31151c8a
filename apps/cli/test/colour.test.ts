/** Nested colours keep the outer one on after the inner one ends, as picocolors does. */
import { beforeAll, describe, expect, it } from "vitest";
import { colour } from "../src/colour.js";

describe("colour", () => {
  beforeAll(() => {
    delete process.env["NO_COLOR"];
    process.env["FORCE_COLOR"] = "1";
  });

  it("opens the outer colour again after a nested one closes", () => {
    expect(colour.red(`a${colour.green("b")}c`)).toBe("\x1b[31ma\x1b[32mb\x1b[31mc\x1b[39m");
    // 22 ends bold and dim alike.
    expect(colour.bold(`a${colour.dim("b")}c`)).toBe("\x1b[1ma\x1b[2mb\x1b[22m\x1b[1mc\x1b[22m");
  });
});
