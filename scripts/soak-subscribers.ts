/**
 * The soak's subscriber process (scripts/soak.ts forks it): many raw WebSocket
 * subscribers of the hub (the bench's RawClient, over loopback), driven over IPC.
 * Each one scans the bytes it receives for the `seq` of every `message` frame
 * (no JSON parsing, so the hub is what is measured) and checks that it sees every
 * seq once, in order (the soak publishes one project's events: one stream, whose
 * seqs run 1, 2, 3, ...): a skipped, repeated or out-of-order seq, a `gap` frame or a
 * closed socket is counted. It notes when the last subscriber received each seq, for
 * the publish-to-deliver latency, and sends a `ping` frame every 10 s so the hub's
 * liveness check (any frame counts) keeps them, as a real client would.
 */
import { now, serve } from "../packages/server/bench/lib/ipc.js";
import { RawClient } from "../packages/server/bench/lib/raw-socket.js";

// A message frame is `{"type":"message","stream":"<stream>","seq":N,...`: the seq follows the stream's closing quote.
// (A gap frame's `"from_seq":` does not match: its key is not preceded by `",`.)
const MESSAGE = Buffer.from('","seq":');
const GAP = Buffer.from('{"type":"gap"');
const PING = JSON.stringify({ type: "ping" });
const KEEPALIVE_MS = 10_000;

/** Finds `marker` in a byte stream cut into chunks anywhere, each occurrence once. */
class Scan {
  readonly #marker: Buffer;
  /** Reads what follows the marker; returns where it ended, or -1 when it runs past the bytes. */
  readonly #read: (bytes: Buffer, from: number) => number;
  #carry: Buffer = Buffer.alloc(0);

  constructor(marker: Buffer, read: (bytes: Buffer, from: number) => number) {
    this.#marker = marker;
    this.#read = read;
  }

  feed(chunk: Buffer): void {
    const bytes = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    let done = 0;
    let incomplete: number | undefined;
    for (let at = bytes.indexOf(this.#marker); at >= 0; at = bytes.indexOf(this.#marker, done)) {
      const end = this.#read(bytes, at + this.#marker.length);
      if (end < 0) {
        incomplete = at;
        break;
      }
      done = end;
    }
    // Keep only what may still be the start of a marker (or one whose value was cut off).
    const keep = incomplete ?? Math.max(done, bytes.length - (this.#marker.length - 1));
    this.#carry = Buffer.from(bytes.subarray(keep));
  }
}

interface Tally {
  first: number;
  last: number;
  received: number;
  skipped: number;
  repeated: number;
  gapFrames: number;
  closed: boolean;
}

const clients: RawClient[] = [];
const tallies: Tally[] = [];
/** Per seq not yet delivered to every subscriber: how many got it, and when the latest did. */
const arrivals = new Map<number, { count: number; last: number }>();
/** Seqs every subscriber got, with the time the last one did, since the last `collect`. */
let complete: Array<[number, number]> = [];
let deliveries = 0;
let keepalive: NodeJS.Timeout | undefined;

function delivered(tally: Tally, seq: number): void {
  if (tally.received === 0) tally.first = seq;
  else if (seq <= tally.last) tally.repeated++;
  else if (seq > tally.last + 1) tally.skipped += seq - tally.last - 1;
  tally.last = Math.max(tally.last, seq);
  tally.received++;
  deliveries++;
  const at = now();
  const arrival = arrivals.get(seq) ?? { count: 0, last: 0 };
  arrival.count++;
  arrival.last = Math.max(arrival.last, at);
  if (arrival.count < clients.length) {
    arrivals.set(seq, arrival);
  } else {
    arrivals.delete(seq);
    complete.push([seq, arrival.last]);
  }
}

/** The decimal number at `from`: its value (undefined when there is none) and where it ends (-1: cut off). */
function number(bytes: Buffer, from: number): { value: number | undefined; end: number } {
  let value = 0;
  let index = from;
  while (index < bytes.length && bytes[index]! >= 0x30 && bytes[index]! <= 0x39) {
    value = value * 10 + bytes[index]! - 0x30;
    index++;
  }
  if (index >= bytes.length) return { value: undefined, end: -1 };
  return { value: index > from ? value : undefined, end: index };
}

async function openOne(port: number, token: string): Promise<void> {
  const { client, rest } = await RawClient.open({ kind: "ws", port, path: "/api/v1/ws", headers: { authorization: `Bearer ${token}` } });
  const subscribed = client.waitFor('"subscribed"', rest);
  client.sendText(JSON.stringify({ type: "subscribe", sub: "s" }));
  await subscribed;
  const tally: Tally = { first: 0, last: 0, received: 0, skipped: 0, repeated: 0, gapFrames: 0, closed: false };
  const messages = new Scan(MESSAGE, (bytes, from) => {
    const { value, end } = number(bytes, from);
    if (value !== undefined) delivered(tally, value);
    return end;
  });
  const gaps = new Scan(GAP, (_bytes, from) => {
    tally.gapFrames++;
    return from;
  });
  client.onData((chunk) => {
    messages.feed(chunk);
    gaps.feed(chunk);
  });
  client.socket.once("close", () => (tally.closed = true));
  clients.push(client);
  tallies.push(tally);
}

function totals(): Record<string, number> {
  let closed = 0;
  let skipped = 0;
  let repeated = 0;
  let gapFrames = 0;
  for (const tally of tallies) {
    if (tally.closed) closed++;
    skipped += tally.skipped;
    repeated += tally.repeated;
    gapFrames += tally.gapFrames;
  }
  return { subscribers: clients.length, closed, skipped, repeated, gapFrames };
}

serve(async (message) => {
  switch (message.cmd) {
    case "open": {
      const count = Number(message["count"]);
      for (let start = 0; start < count; start += 200) {
        await Promise.all(Array.from({ length: Math.min(200, count - start) }, () => openOne(Number(message["port"]), String(message["token"]))));
      }
      keepalive = setInterval(() => {
        for (const client of clients) client.sendText(PING);
      }, KEEPALIVE_MS);
      return { subscribers: clients.length };
    }
    case "collect": {
      const reply = { deliveries, complete, ...totals() };
      deliveries = 0;
      complete = [];
      return reply;
    }
    case "final": {
      // Every subscriber should reach the last acked seq; bounded, never a hang.
      const last = Number(message["last"]);
      const started = Date.now();
      while (tallies.some((tally) => !tally.closed && tally.last < last) && Date.now() - started < 30_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const first = Number(message["first"]);
      const count = Number(message["count"]);
      const short = tallies.filter((tally) => tally.received !== count || tally.first !== first || tally.last !== last);
      const examples = short
        .slice(0, 3)
        .map((tally) => `first ${tally.first} last ${tally.last} received ${tally.received} of ${count}${tally.closed ? ", closed" : ""}`);
      return { ...totals(), short: short.length, examples };
    }
    case "close":
      clearInterval(keepalive);
      for (const client of clients) client.close();
      return {};
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});
