/**
 * The SSE transport against a scripted `fetch`, so what goes on the wire and what is
 * read back is exact: the whole position token as `Last-Event-ID` (the empty one as
 * `?since=`, a protocol-1 seq as its digits), `ready.position` as the subscription's
 * position, each event's stream from its project and its seq from its id, and the
 * control events in their protocol-2 shapes.
 */
import { DEFAULT_LIMITS, type Envelope } from "@events/schema";
import { afterEach, describe, expect, it } from "vitest";
import { EventsClient, sseTransport, type Delivery, type SubscribeOptions } from "../src/index.js";
import { seqIn } from "../src/transport/sse.js";
import { envelope } from "./helpers/envelopes.js";
import { until } from "./helpers/hub.js";

const P = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
const Q = "0b6f3d2a-9c1e-4f5a-8b7d-1e2f3a4b5c6d";

interface Opened {
  readonly url: URL;
  readonly headers: Record<string, string>;
  write(text: string): void;
}

/** A fetch that answers `/api/v1/limits` and holds each `/api/events` stream open for the test to write into. */
function scriptedFetch(): { fetch: typeof fetch; streams: Opened[] } {
  const streams: Opened[] = [];
  const encoder = new TextEncoder();
  const fake = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.pathname === "/api/v1/limits") return Promise.resolve(Response.json(DEFAULT_LIMITS));
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    init?.signal?.addEventListener("abort", () => controller.error(new Error("aborted")));
    streams.push({ url, headers: { ...(init?.headers as Record<string, string>) }, write: (text) => controller.enqueue(encoder.encode(text)) });
    return Promise.resolve(new Response(body, { headers: { "content-type": "text/event-stream" } }));
  };
  return { fetch: fake, streams };
}

const clients: EventsClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

async function subscribed(options: SubscribeOptions) {
  const { fetch, streams } = scriptedFetch();
  const client = new EventsClient({ url: "http://hub.test", transport: "sse", sse: sseTransport(fetch) });
  clients.push(client);
  const sub = client.subscribe("events", options);
  const deliveries: Delivery[] = [];
  const malformed: number[] = [];
  sub.on("event", (delivery) => deliveries.push(delivery));
  client.on("malformed", ({ count }) => malformed.push(count));
  client.connect();
  await until(() => streams.length === 1, "the event stream");
  return { client, sub, stream: streams[0]!, streams, deliveries, malformed };
}

function event(project: string | null): Envelope {
  return envelope({ project_uuid: project });
}

function sse(fields: { id?: string; event?: string; data: unknown }): string {
  return `${fields.event === undefined ? "" : `event: ${fields.event}\n`}data: ${JSON.stringify(fields.data)}\n${fields.id === undefined ? "" : `id: ${fields.id}\n`}\n`;
}

describe("the SSE transport", () => {
  it.each([
    ["a position token", `-:3,${P}:9`, { lastEventId: `-:3,${P}:9`, since: null }],
    ["the empty token (the start of everything), as ?since=", "", { lastEventId: undefined, since: "" }],
    ["a protocol-1 seq, as its digits", 120, { lastEventId: "120", since: null }],
    ["nothing for live only", undefined, { lastEventId: undefined, since: null }],
  ] as const)("sends %s", async (_what, since, expected) => {
    const { stream } = await subscribed(since === undefined ? {} : { since });
    expect({ lastEventId: stream.headers["last-event-id"], since: stream.url.searchParams.get("since") }).toEqual(expected);
    expect(stream.url.searchParams.get("channel")).toBe("events");
  });

  it("takes ready.position as the position, reads each event's stream from its project and its seq from the id, and resumes with the whole token", async () => {
    const { client, sub, stream, streams, deliveries } = await subscribed({ since: "" });
    stream.write(sse({ event: "ready", data: { position: `${Q}:4`, heartbeat_ms: 15_000 } }));
    await until(() => sub.state === "subscribed", "ready");
    expect(sub.position).toBe(`${Q}:4`);
    const a = event(P);
    const b = event(null);
    const c = event(Q);
    stream.write(sse({ event: a.event_type, data: a, id: `${Q}:4,${P}:1` }));
    stream.write(sse({ event: b.event_type, data: b, id: `-:1,${Q}:4,${P}:1` }));
    stream.write(sse({ event: c.event_type, data: c, id: `-:1,${Q}:5,${P}:1` }));
    await until(() => deliveries.length === 3, "three events");
    expect(deliveries.map(({ stream: s, seq, event: e }) => [s, seq, e.event_id])).toEqual([
      [P, 1, a.event_id],
      ["-", 1, b.event_id],
      [Q, 5, c.event_id],
    ]);
    expect(sub.position).toBe(`-:1,${Q}:5,${P}:1`);
    // The stream reached its lifetime: opened again from the whole position.
    stream.write(sse({ event: "end", data: { reason: "lifetime", code: 1000, message: "" } }));
    await until(() => streams.length === 2, "the reopened stream");
    expect(streams[1]?.headers["last-event-id"]).toBe(`-:1,${Q}:5,${P}:1`);
    expect(client.state).toBe("connected");
  });

  it("reads reset and gap in their per-stream shapes: a reset moves the position, a gap reopens from it", async () => {
    const { sub, stream, streams } = await subscribed({ since: `${P}:900` });
    const resets: unknown[] = [];
    const gaps: unknown[] = [];
    sub.on("reset", (reset) => resets.push(reset));
    sub.on("gap", (gap) => gaps.push(gap));
    stream.write(sse({ event: "ready", data: { position: `${P}:40`, heartbeat_ms: 15_000 } }));
    stream.write(sse({ event: "reset", data: { reason: "position_ahead", streams: [P], position: `${P}:40`, message: "ahead" }, id: `${P}:40` }));
    await until(() => resets.length === 1, "the reset");
    expect(resets).toEqual([{ reason: "position_ahead", streams: [P], position: `${P}:40`, message: "ahead" }]);
    expect(sub.position).toBe(`${P}:40`);
    stream.write(sse({ event: "gap", data: { stream: P, from_seq: 40, to_seq: 60, reason: "slow_consumer" } }));
    await until(() => streams.length === 2, "the stream reopened after the gap");
    expect(gaps).toEqual([{ stream: P, fromSeq: 40, toSeq: 60 }]);
    expect(streams[1]?.headers["last-event-id"]).toBe(`${P}:40`);
  });

  it("counts as malformed a protocol-1 ready, an id that does not name the event's stream, and a gap without a stream", async () => {
    const { stream, deliveries, malformed } = await subscribed({ since: "" });
    stream.write(sse({ event: "ready", data: { from_seq: 0, head_seq: 4, heartbeat_ms: 15_000 } }));
    stream.write(sse({ event: "ready", data: { position: "", heartbeat_ms: 15_000 } }));
    const a = event(P);
    stream.write(sse({ event: a.event_type, data: a, id: "-:1" }));
    stream.write(sse({ event: a.event_type, data: a, id: "7" }));
    stream.write(sse({ event: "gap", data: { from_seq: 1, to_seq: 2, reason: "slow_consumer" } }));
    stream.write(sse({ event: a.event_type, data: a, id: `${P}:1` }));
    await until(() => deliveries.length === 1, "the well-formed event");
    expect(malformed).toEqual([1, 2, 3, 4]);
  });
});

describe("seqIn", () => {
  it.each([
    [`${P}:9`, P, 9],
    [`-:3,${P}:9`, P, 9],
    [`-:3,${P}:9`, "-", 3],
    [`-:3,${Q}:12,${P}:9`, Q, 12],
    [`${Q}:12`, P, undefined],
    ["-:", "-", undefined],
    ["-:0", "-", undefined],
    ["-:x1", "-", undefined],
    ["120", "-", undefined],
  ] as const)("reads %s for stream %s as %s", (token, stream, seq) => {
    expect(seqIn(token, stream)).toBe(seq);
  });
});
