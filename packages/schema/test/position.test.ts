/**
 * Position tokens: `formatPosition` and `parsePosition` are inverse on every position,
 * the token is canonical (sorted, zeros left out), `parsePosition` refuses what the
 * hub must refuse, and the exported pattern (what another language checks) accepts
 * exactly the tokens `parsePosition` reads, except a stream named twice, which no
 * regular expression can see.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NO_PROJECT_STREAM,
  POSITION_TOKEN_MAX_CHARS,
  POSITION_TOKEN_PATTERN,
  STREAM_ID_PATTERN,
  codecs,
  formatPosition,
  isStreamId,
  parsePosition,
  positionOf,
  projectOfStream,
  streamOf,
} from "@events/schema";

const PROJECT = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const OTHER = "0b6f3d2a-9c1e-4f5a-8b7d-1e2f3a4b5c6d";
const TOKEN = new RegExp(POSITION_TOKEN_PATTERN);
const STREAM = new RegExp(STREAM_ID_PATTERN);

const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: length, maxLength: length });
const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join("-"));
const stream = fc.oneof(fc.constant(NO_PROJECT_STREAM), uuid);
const seq = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 999_999_999_999_999 }));
const position = fc.array(fc.tuple(stream, seq), { maxLength: 12 }).map((pairs) => new Map(pairs));

/** The position without its zero entries: what a token can say. */
function withoutZeros(position: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...position].filter(([, value]) => value > 0));
}

describe("formatPosition and parsePosition", () => {
  it("are inverse: parse(format(p)) is p without its zeros, and format(parse(t)) is t", () => {
    fc.assert(
      fc.property(position, (p) => {
        const token = formatPosition(p);
        expect(parsePosition(token)).toEqual(withoutZeros(p));
        expect(formatPosition(parsePosition(token)!)).toBe(token);
      }),
    );
  });

  it("write streams in code-unit order, whatever order the map holds them in", () => {
    fc.assert(
      fc.property(position, (p) => {
        const reversed = new Map([...p].reverse());
        expect(formatPosition(reversed)).toBe(formatPosition(p));
        const streams = formatPosition(p)
          .split(",")
          .filter((pair) => pair !== "")
          .map((pair) => pair.slice(0, pair.lastIndexOf(":")));
        expect(streams).toEqual([...streams].sort());
      }),
    );
    expect(formatPosition(new Map([[PROJECT, 17], [NO_PROJECT_STREAM, 4], [OTHER, 2]]))).toBe(`-:4,${OTHER}:2,${PROJECT}:17`);
  });

  it("give every token they write to the exported pattern and the codecs", () => {
    fc.assert(
      fc.property(position, (p) => {
        const token = formatPosition(p);
        expect(TOKEN.test(token)).toBe(true);
        expect(codecs.SseReadyData.is({ position: token, heartbeat_ms: 0 })).toBe(true);
        expect(codecs.ClientFrame.is({ type: "subscribe", sub: "s1", since: token })).toBe(true);
      }),
    );
  });

  it("read the empty token as the start of every stream, and write it for an empty or all-zero position", () => {
    expect(parsePosition("")).toEqual(new Map());
    expect(formatPosition(new Map())).toBe("");
    expect(formatPosition(new Map([[NO_PROJECT_STREAM, 0], [PROJECT, 0]]))).toBe("");
  });

  it.each([
    ["a bare integer (a protocol-1 seq is not a token)", "42"],
    ["a pair without a seq", `${PROJECT}:`],
    ["a pair without a stream", ":4"],
    ["a stream that is not a uuid or -", "spec-kitty:4"],
    ["a negative seq", "-:-1"],
    ["a seq with a sign", "-:+1"],
    ["a fractional seq", "-:1.5"],
    ["a seq of 16 digits", `-:${"9".repeat(16)}`],
    ["a trailing comma", "-:1,"],
    ["a leading comma", ",-:1"],
    ["two commas", `-:1,,${PROJECT}:2`],
    ["spaces", `-:1, ${PROJECT}:2`],
    ["a final newline", "-:1\n"],
    ["another separator", `-:1;${PROJECT}:2`],
    ["a uuid with braces", `{${PROJECT}}:3`],
  ])("refuse %s", (_what, token) => {
    expect(parsePosition(token)).toBeUndefined();
    expect(TOKEN.test(token)).toBe(false);
  });

  it("refuse a stream named twice, which the pattern alone cannot see", () => {
    expect(parsePosition(`-:1,-:2`)).toBeUndefined();
    expect(parsePosition(`${PROJECT}:1,-:3,${PROJECT}:2`)).toBeUndefined();
    expect(TOKEN.test("-:1,-:2")).toBe(true);
  });

  it("refuse a token longer than POSITION_TOKEN_MAX_CHARS, and the codecs do too", () => {
    const pairs: string[] = [];
    for (let i = 0; pairs.join(",").length <= POSITION_TOKEN_MAX_CHARS; i++) {
      pairs.push(`${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000:${i + 1}`);
    }
    const tooLong = pairs.join(",");
    const longest = pairs.slice(0, -1).join(",");
    expect(longest.length).toBeLessThanOrEqual(POSITION_TOKEN_MAX_CHARS);
    expect(parsePosition(longest)?.size).toBe(pairs.length - 1);
    expect(codecs.SseReadyData.is({ position: longest, heartbeat_ms: 0 })).toBe(true);
    expect(parsePosition(tooLong)).toBeUndefined();
    expect(codecs.SseReadyData.is({ position: tooLong, heartbeat_ms: 0 })).toBe(false);
  });

  it("read a seq with leading zeros as the number, and write it back canonical", () => {
    expect(parsePosition("-:007")).toEqual(new Map([[NO_PROJECT_STREAM, 7]]));
    expect(formatPosition(parsePosition(`${PROJECT}:0,-:007`)!)).toBe("-:7");
  });

  it("agree with the exported pattern on arbitrary text: what parses matches, what matches parses unless a stream repeats", () => {
    const piece = fc.oneof(
      stream,
      fc.constantFrom(":", ",", "-", "0", "1", "9", " ", "x", "\n", "::"),
      seq.map(String),
    );
    const text = fc.oneof(fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join("")), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(text, (token) => {
        const parsed = parsePosition(token);
        if (parsed !== undefined) expect(TOKEN.test(token), token).toBe(true);
        else if (TOKEN.test(token)) {
          const streams = token.split(",").map((pair) => pair.slice(0, pair.lastIndexOf(":")));
          expect(new Set(streams).size, token).toBeLessThan(streams.length);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("positionOf reads 0 for a stream the position does not name", () => {
    const p = parsePosition(`-:4,${PROJECT}:17`)!;
    expect(positionOf(p, PROJECT)).toBe(17);
    expect(positionOf(p, NO_PROJECT_STREAM)).toBe(4);
    expect(positionOf(p, OTHER)).toBe(0);
  });
});

describe("streams", () => {
  it("are the event's project, or - for events without one, and back", () => {
    expect(streamOf(PROJECT)).toBe(PROJECT);
    expect(streamOf(null)).toBe(NO_PROJECT_STREAM);
    expect(streamOf(undefined)).toBe(NO_PROJECT_STREAM);
    expect(streamOf("")).toBe(NO_PROJECT_STREAM);
    expect(projectOfStream(PROJECT)).toBe(PROJECT);
    expect(projectOfStream(NO_PROJECT_STREAM)).toBeNull();
  });

  it("isStreamId agrees with the exported StreamId pattern", () => {
    fc.assert(
      fc.property(fc.oneof(stream, fc.string({ maxLength: 40 }), uuid.map((u) => `${u}\n`), uuid.map((u) => u.slice(1))), (value) => {
        expect(isStreamId(value)).toBe(STREAM.test(value));
      }),
    );
    expect(isStreamId(PROJECT.toUpperCase())).toBe(true);
    expect(isStreamId("--")).toBe(false);
    expect(isStreamId(7)).toBe(false);
  });
});
