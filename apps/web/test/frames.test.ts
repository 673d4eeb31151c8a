import { describe, expect, it } from "vitest";
import { isLiveEvent, parseProblemsFrame } from "../src/net/frames.js";
import { activity, delivered } from "./fixtures.js";

describe("what the page reads besides the live stream", () => {
  const event = delivered([activity("hello")], 7)[0]!;

  it("passes history entries and problems frames the page acts on", () => {
    expect(isLiveEvent(JSON.parse(JSON.stringify(event)))).toBe(true);
    expect(parseProblemsFrame(JSON.stringify({ kind: "snapshot", findings: [{ rule: "r", offending_path: "p" }], audit_at: "x" }))?.kind).toBe("snapshot");
    expect(parseProblemsFrame(JSON.stringify({ kind: "delta", added: [], changed: [], removed: [{ rule: "r", offending_path: "p" }] }))?.kind).toBe("delta");
  });

  it("drops what it cannot read instead of throwing", () => {
    const broken: unknown[] = [
      null,
      [],
      42,
      "<img>",
      { stream: "-", seq: "7", channel: "events", event: event.event },
      { stream: "-", seq: -1, channel: "events", event: event.event },
      { stream: "-", seq: 0, channel: "events", event: event.event },
      { stream: "-", seq: 8, channel: "events", event: { ...event.event, payload: null } },
      { stream: "-", seq: 8, channel: "events", event: { ...event.event, node_id: undefined } },
      { stream: "-", seq: 8, channel: "events" },
      { stream: "-", seq: 1, channel: "events", event: "<img>" },
      { seq: 8, channel: "events", event: event.event },
      { stream: "spec-kitty", seq: 8, channel: "events", event: event.event },
      { stream: "-,x:1", seq: 8, channel: "events", event: event.event },
    ];
    for (const value of broken) expect(isLiveEvent(value), JSON.stringify(value)).toBe(false);
    for (const text of [undefined, "not json", "null", "[]", JSON.stringify({ kind: "delta", added: [], changed: [] }), JSON.stringify({ kind: "snapshot", findings: [{ rule: 1 }] })]) {
      expect(parseProblemsFrame(text), String(text)).toBeUndefined();
    }
  });
});
