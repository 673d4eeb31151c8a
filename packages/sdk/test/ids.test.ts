import { ULID_PATTERN } from "@events/schema";
import { describe, expect, it } from "vitest";
import { generateCausationId, newEventId, ulidAt } from "../src/ids.js";

const TIME = Date.UTC(2026, 10, 21, 12, 0, 0);

describe("event ids", () => {
  it("are ULIDs that encode their millisecond", () => {
    const id = ulidAt(TIME);
    expect(new RegExp(ULID_PATTERN).test(id)).toBe(true);
    // The first 10 characters are the time, base32 Crockford.
    const digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const decoded = [...id.slice(0, 10)].reduce((value, char) => value * 32 + digits.indexOf(char), 0);
    expect(decoded).toBe(TIME);
    expect(new RegExp(ULID_PATTERN).test(newEventId())).toBe(true);
    expect(new RegExp(ULID_PATTERN).test(generateCausationId())).toBe(true);
  });

  it("sort in creation order within one millisecond, and when the clock steps back", () => {
    const ids = [
      ...Array.from({ length: 1_000 }, () => ulidAt(TIME + 1_000)),
      // The wall clock steps back: ids keep counting up from the last one.
      ...Array.from({ length: 100 }, () => ulidAt(TIME + 500)),
      ...Array.from({ length: 100 }, () => ulidAt(TIME + 2_000)),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("have random parts that differ between milliseconds", () => {
    const randoms = Array.from({ length: 200 }, (_, i) => ulidAt(TIME + 10_000 + i).slice(10));
    expect(new Set(randoms).size).toBe(randoms.length);
    // Every base32 digit turns up in the random parts: the digits are not biased to a few.
    expect(new Set(randoms.join("")).size).toBe(32);
  });
});
