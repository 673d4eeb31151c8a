import { describe, expect, it } from "vitest";
import { isLiveEvent, parseHubFrame, parseProblemsFrame } from "../src/net/frames.js";
import { activity, delivered } from "./fixtures.js";

describe("frames from the hub", () => {
  const event = delivered([activity("hello")], 7)[0]!;

  it("passes the frames the page acts on", () => {
    expect(parseHubFrame(JSON.stringify({ type: "message", sub: "dashboard", ...event }))?.type).toBe("message");
    expect(parseHubFrame(JSON.stringify({ type: "gap", sub: "dashboard", from_seq: 1, to_seq: 4 }))?.type).toBe("gap");
    expect(parseProblemsFrame(JSON.stringify({ kind: "snapshot", findings: [{ rule: "r", offending_path: "p" }], audit_at: "x" }))?.kind).toBe("snapshot");
  });

  it("drops what it cannot read instead of throwing", () => {
    const broken = [
      "not json",
      "null",
      "[]",
      "42",
      JSON.stringify({ no: "type" }),
      JSON.stringify({ type: "message", seq: "7", channel: "events", event: event.event }),
      JSON.stringify({ type: "message", seq: -1, channel: "events", event: event.event }),
      JSON.stringify({ type: "message", seq: 8, channel: "events", event: { ...event.event, payload: null } }),
      JSON.stringify({ type: "message", seq: 8, channel: "events" }),
      JSON.stringify({ type: "gap", from_seq: { nested: true } }),
    ];
    for (const text of broken) expect(parseHubFrame(text), text).toBeUndefined();
    expect(parseHubFrame(undefined)).toBeUndefined();
    expect(parseProblemsFrame(JSON.stringify({ kind: "delta", added: [], changed: [] }))).toBeUndefined();
    expect(parseProblemsFrame(JSON.stringify({ kind: "snapshot", findings: [{ rule: 1 }] }))).toBeUndefined();
    expect(isLiveEvent({ seq: 1, channel: "events", event: "<img>" })).toBe(false);
  });
});
