/**
 * The hub's Prometheus metrics, in a registry of its own (several hubs may share a
 * process). Hot-path numbers (deliveries, drops, queue depths) are plain counters
 * read at scrape time, so fan-out pays nothing per delivery for metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BrokerStats } from "../broker/broker.js";
import type { DeliveryCounters } from "../broker/counters.js";

export type IngestTransport = "ws" | "http" | "datagram";
export type StreamTransport = "ws" | "sse";

export interface MetricsSources {
  readonly delivery: DeliveryCounters;
  readonly broker: () => BrokerStats;
  readonly connections: () => Record<StreamTransport, number>;
  readonly writeQueueDepth: () => number;
  /** How many streams hold events (each project's, and `-`). */
  readonly streams: () => number;
}

export class HubMetrics {
  readonly registry = new Registry();
  readonly ingested: Counter<"transport">;
  readonly duplicates: Counter<"transport">;
  readonly rejected: Counter<"transport">;
  readonly malformed: Counter<"transport">;
  readonly datagramsRefused: Counter<"reason">;
  readonly storeSeconds: Histogram;
  readonly storeBatch: Histogram;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "events_hub_" });
    this.ingested = new Counter({ name: "events_ingested_total", help: "Events stored (accepted), by ingest transport.", labelNames: ["transport"], registers });
    this.duplicates = new Counter({ name: "events_duplicates_total", help: "Events answered duplicate (event_id already stored).", labelNames: ["transport"], registers });
    this.rejected = new Counter({ name: "events_rejected_total", help: "Events answered rejected (invalid, too large or forbidden).", labelNames: ["transport"], registers });
    this.malformed = new Counter({ name: "events_malformed_frames_total", help: "Frames, bodies and datagrams refused whole (bad JSON, unknown type, over a limit).", labelNames: ["transport"], registers });
    this.datagramsRefused = new Counter({
      name: "events_datagrams_refused_total",
      help: "Datagrams refused, by reason (too_large, not_json, invalid, rejected, store_failed); each is also reported in the activity log.",
      labelNames: ["reason"],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: "events_store_write_seconds",
      help: "Duration of one store transaction (a batch of events).",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.storeBatch = new Histogram({
      name: "events_store_batch_events",
      help: "Events written per store transaction.",
      buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000],
      registers,
    });
    fromSource(registers, { name: "events_deliveries_total", help: "Frames handed to subscriber sockets.", read: () => sources.delivery.deliveries, type: "counter" });
    fromSource(registers, { name: "events_dropped_total", help: "Frames dropped (oldest first) for subscribers at their queue limit.", read: () => sources.delivery.drops, type: "counter" });
    fromSource(registers, { name: "events_gaps_total", help: "Gap frames sent to subscribers after drops.", read: () => sources.delivery.gaps, type: "counter" });
    fromSource(registers, { name: "events_slow_consumer_closes_total", help: "Subscribers closed for staying behind (4429).", read: () => sources.delivery.slowConsumerCloses, type: "counter" });
    fromSource(registers, { name: "events_subscribers", help: "Live subscriptions.", read: () => sources.broker().subscribers, type: "gauge" });
    fromSource(registers, { name: "events_subscriber_queue_events", help: "Frames waiting in subscriber queues, all subscribers.", read: () => sources.broker().queuedEvents, type: "gauge" });
    fromSource(registers, { name: "events_subscriber_queue_bytes", help: "Bytes waiting in subscriber queues, all subscribers.", read: () => sources.broker().queuedBytes, type: "gauge" });
    fromSource(registers, { name: "events_subscriber_queue_bytes_max", help: "Bytes waiting in the fullest subscriber queue.", read: () => sources.broker().maxQueuedBytes, type: "gauge" });
    fromSource(registers, { name: "events_write_queue_depth", help: "Events waiting for a store transaction.", read: sources.writeQueueDepth, type: "gauge" });
    fromSource(registers, { name: "events_streams", help: "Streams with events (one per project, and one for events without a project); each numbers its own seqs.", read: sources.streams, type: "gauge" });
    new Gauge({
      name: "events_connections",
      help: "Open streaming connections, by transport.",
      labelNames: ["transport"],
      registers,
      collect() {
        const counts = sources.connections();
        this.set({ transport: "ws" }, counts.ws);
        this.set({ transport: "sse" }, counts.sse);
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export interface Source {
  name: string;
  help: string;
  read: () => number;
  type: "counter" | "gauge";
}

/** A metric whose value is read from the hub (or a cluster node) at scrape time. */
export function fromSource(registers: Registry[], { name, help, read, type }: Source): void {
  if (type === "gauge") {
    new Gauge({ name, help, registers, collect() { this.set(read()); } });
    return;
  }
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
