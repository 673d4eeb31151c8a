/**
 * What the client reads of a hub frame: every valid HubFrame fixture of
 * @events/schema, and none of the protocol-1 shapes or broken positions it would
 * otherwise act on wrongly (a stream that is not one would end up in the next token).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readHubFrame } from "../src/frames.js";
import { envelope } from "./helpers/envelopes.js";

const FIXTURES = fileURLToPath(new URL("../../schema/fixtures/valid/HubFrame", import.meta.url));
const P = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";

describe("readHubFrame", () => {
  it.each(readdirSync(FIXTURES).sort())("reads the schema's fixture %s", (name) => {
    const frame = JSON.parse(readFileSync(`${FIXTURES}/${name}`, "utf8")) as unknown;
    expect(readHubFrame(frame)).toBe(frame);
  });

  it.each([
    ["a protocol-1 subscribed", { type: "subscribed", sub: "s1", from_seq: 0, head_seq: 4 }],
    ["a subscribed whose position names a stream twice", { type: "subscribed", sub: "s1", position: "-:1,-:2" }],
    ["a subscribed whose position is a number", { type: "subscribed", sub: "s1", position: 4 }],
    ["a message without a stream", { type: "message", sub: "s1", seq: 1, channel: "events", event: envelope() }],
    ["a message whose stream is not a uuid or -", { type: "message", sub: "s1", stream: "a,b", seq: 1, channel: "events", event: envelope() }],
    ["a protocol-1 gap", { type: "gap", sub: "s1", from_seq: 1, to_seq: 4, reason: "slow_consumer" }],
    ["a protocol-1 reset", { type: "reset", sub: "s1", reason: "position_ahead", seq: 4, message: "" }],
    ["a reset without its streams", { type: "reset", sub: "s1", reason: "position_ahead", position: `${P}:4`, message: "" }],
    ["a reset naming something that is not a stream", { type: "reset", sub: "s1", reason: "position_ahead", streams: ["x"], position: `${P}:4`, message: "" }],
  ])("refuses %s", (_what, frame) => {
    expect(readHubFrame(frame)).toBeUndefined();
  });
});
