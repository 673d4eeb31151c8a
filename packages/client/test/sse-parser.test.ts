/** The event-stream reader: any split of the bytes into chunks gives the same events. */
import { describe, expect, it } from "vitest";
import { SseParser, type SseMessage } from "../src/index.js";

const P = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";

const STREAM =
  `retry: 1000\nevent: ready\ndata: {"position":"-:2","heartbeat_ms":15000}\n\n` +
  ": keep-alive\n\n" +
  `id: ${P}:1\r\nevent: WPAssigned\r\ndata: {"a":1}\r\n\r\n` +
  `id: -:2,${P}:2\revent: WPCreated\rdata: line one\rdata: line two\r\r` +
  // A multi-stream subscriber's event: the shared event and data, then its own id.
  `event: WPCreated\ndata: {"b":2}\nid: -:3,${P}:2\n\n` +
  "data:no space\n\n" +
  `event: end\ndata: {"reason":"lifetime","code":1000,"message":""}\n\n`;

const EXPECTED: SseMessage[] = [
  { id: undefined, event: "ready", data: '{"position":"-:2","heartbeat_ms":15000}' },
  { id: `${P}:1`, event: "WPAssigned", data: '{"a":1}' },
  { id: `-:2,${P}:2`, event: "WPCreated", data: "line one\nline two" },
  { id: `-:3,${P}:2`, event: "WPCreated", data: '{"b":2}' },
  { id: undefined, event: "message", data: "no space" },
  { id: undefined, event: "end", data: '{"reason":"lifetime","code":1000,"message":""}' },
];

function parse(chunks: readonly string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
}

describe("SseParser", () => {
  it("reads LF, CRLF and CR line ends, comments, multi-line data and the default event name", () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it("gives the same events for every split into two chunks, and one character at a time", () => {
    for (let at = 0; at <= STREAM.length; at++) expect(parse([STREAM.slice(0, at), STREAM.slice(at)]), `split at ${at}`).toEqual(EXPECTED);
    expect(parse([...STREAM])).toEqual(EXPECTED);
  });

  it("holds an unfinished event until its blank line", () => {
    const messages: SseMessage[] = [];
    const parser = new SseParser((message) => messages.push(message));
    parser.push("id: 7\nevent: X\ndata: {}\n");
    expect(messages).toEqual([]);
    parser.push("\n");
    expect(messages).toEqual([{ id: "7", event: "X", data: "{}" }]);
  });
});
