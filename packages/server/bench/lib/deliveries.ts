/**
 * Every delivery of a known set of events to a group of raw subscribers, timed: the
 * moment each event's bytes reach each subscriber's process (one `now()` per chunk,
 * before any parsing), kept in one flat array (subscriber x event), so a million
 * deliveries cost a typed-array write each. Summarised against the publisher's
 * write times into per-delivery and last-of-the-group latencies.
 */
import { now } from "./ipc.js";
import { IdScan, type RawClient } from "./raw-socket.js";

export interface DeliverySummary {
  readonly delivered: number;
  readonly expected: number;
  /** Percentiles over every delivery that arrived, in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Deliveries per second from the first publish to the last arrival (plus one publish interval, the last event's slot). */
  readonly perSecond: number;
  /** Per event, publish to the first subscriber's arrival in ms (-1 if none got it): the server's time before fan-out. */
  readonly first: number[];
  /** Per event, publish to the last subscriber's arrival in ms (-1 if some never got it). */
  readonly last: number[];
  /** CPU time of the subscribers' process over the tracking, as a share of one core. */
  readonly cpu: number;
  /** The part of `cpu` spent in the kernel (socket reads, mostly). */
  readonly systemCpu: number;
}

export class Deliveries {
  readonly #clients: readonly RawClient[];
  readonly #events: number;
  readonly #arrivals: Float64Array;
  readonly #cpu = process.cpuUsage();
  readonly #started = now();
  #delivered = 0;

  /** `count` events of one `benchEvents` call, whose ids start with `prefix`. */
  constructor(clients: readonly RawClient[], events: { prefix: string; count: number }) {
    const { count } = events;
    this.#clients = clients;
    this.#events = count;
    this.#arrivals = new Float64Array(clients.length * count);
    clients.forEach((client, subscriber) => {
      const scan = new IdScan(events.prefix);
      const row = subscriber * count;
      let at = 0;
      const found = (event: number): void => {
        if (event >= count || this.#arrivals[row + event] !== 0) return;
        this.#arrivals[row + event] = at;
        this.#delivered++;
      };
      client.onData((chunk) => {
        at = now();
        scan.feed(chunk, found);
      });
    });
  }

  get complete(): boolean {
    return this.#delivered === this.#arrivals.length;
  }

  /** Stops timing and summarises; `sent[event]` is when the publisher wrote that event. */
  summarise(sent: readonly number[]): DeliverySummary {
    for (const client of this.#clients) client.onData(() => undefined);
    const cpu = process.cpuUsage(this.#cpu);
    return summariseArrivals(this.#arrivals, this.#events, sent, { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs: now() - this.#started });
  }
}

/**
 * Latencies from arrival times (`arrivals[subscriber * events + event]`, in lib/ipc
 * `now` ms, 0 for never) against when each event was sent, and the subscribers'
 * CPU over the tracking as shares of one core.
 */
export function summariseArrivals(arrivals: Float64Array, events: number, sent: readonly number[], cpu: { userMs: number; systemMs: number; wallMs: number }): DeliverySummary {
  let delivered = 0;
  for (const arrival of arrivals) if (arrival !== 0) delivered++;
  const latencies = new Float64Array(delivered);
  const first = new Array<number>(events).fill(Number.POSITIVE_INFINITY);
  const last = new Array<number>(events).fill(0);
  let filled = 0;
  let lastArrival = 0;
  for (let cell = 0; cell < arrivals.length; cell++) {
    const event = cell % events;
    const arrival = arrivals[cell]!;
    if (arrival === 0) {
      last[event] = -1;
      continue;
    }
    const latency = arrival - sent[event]!;
    latencies[filled++] = latency;
    first[event] = Math.min(first[event]!, latency);
    if (last[event]! >= 0) last[event] = Math.max(last[event]!, latency);
    lastArrival = Math.max(lastArrival, arrival);
  }
  latencies.sort();
  // The same rank as bench-kit's percentile, on a typed array (sorting a million boxed numbers is slow).
  const at = (p: number): number => latencies[Math.min(filled - 1, Math.ceil((p / 100) * filled) - 1)] ?? Number.NaN;
  return {
    delivered,
    expected: arrivals.length,
    p50: at(50),
    p99: at(99),
    max: latencies[filled - 1] ?? Number.NaN,
    perSecond: delivered / ((lastArrival - sent[0]! + (sent.at(-1)! - sent[0]!) / Math.max(1, sent.length - 1)) / 1000),
    first: first.map((latency) => (latency === Number.POSITIVE_INFINITY ? -1 : latency)),
    last,
    cpu: (cpu.userMs + cpu.systemMs) / cpu.wallMs,
    systemCpu: cpu.systemMs / cpu.wallMs,
  };
}
