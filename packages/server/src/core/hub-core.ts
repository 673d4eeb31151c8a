/**
 * The hub's core, which every transport calls: ingest (validate, authorise, store,
 * answer per event), fan-out after commit (broker, problems deltas, machine control)
 * and subscriptions with resume. Transports only decode, call and encode.
 * In a cluster, commits go through the node's ordered feed (with the other nodes'
 * commits) before `deliver`, so every node delivers each stream in seq order.
 */
import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  type MachineEventPayload,
  type ProblemsSnapshotPayload,
  type WelcomeFrame,
} from "@events/schema";
import { TicketSigner } from "../auth/tickets.js";
import { TokenRegistry } from "../auth/token-registry.js";
import { ClusterNode } from "../cluster/cluster-node.js";
import { clusterMetrics } from "../cluster/cluster-metrics.js";
import type { Principal } from "../auth/principal.js";
import { Broker } from "../broker/broker.js";
import { PublishedEvent } from "../broker/published-event.js";
import type { Subscriber, SubscriberFilter, SubscriberLimits } from "../broker/subscriber.js";
import type { Framer, Sink } from "../broker/sink.js";
import type { Logger } from "../logger.js";
import { HubMetrics, type IngestTransport, type StreamTransport } from "../metrics/hub-metrics.js";
import type { ResolvedOptions } from "../options.js";
import type { HubStore } from "../store/hub-store.js";
import { WriteQueue, type CommittedEvent } from "../store/write-queue.js";
import { HUB_VERSION } from "../version.js";
import { HubClock } from "./clock.js";
import { ingest, type IngestResult } from "./ingest.js";
import { forwardToMachine, type DatagramSend } from "./machine-control.js";
import { ProblemsChannel } from "./problems-channel.js";
import { resume, type Opened, type Since } from "./resume.js";

export interface OpenStream {
  readonly filter: SubscriberFilter;
  readonly framer: Framer;
  readonly sink: Sink;
  /** A position, a protocol-1 seq, or undefined for live only. */
  readonly since: Since;
  readonly opened: (opened: Opened) => void;
  readonly onClosed?: () => void;
  readonly endsAfter?: (event: PublishedEvent) => boolean;
}

export class HubCore {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly store: HubStore;
  readonly broker: Broker;
  readonly writer: WriteQueue;
  readonly problems = new ProblemsChannel();
  readonly tokens: TokenRegistry;
  readonly metrics: HubMetrics;
  readonly connections: Record<StreamTransport, number> = { ws: 0, sse: 0 };
  clock = new HubClock(0);
  /** Set by the datagram transport when it can send to control sockets. */
  controlSend: DatagramSend | undefined;
  /** Set when shutdown begins: new publishes are answered `unavailable`. */
  closing = false;
  /** This hub as a cluster node (PostgreSQL + Redis); undefined for one process. */
  cluster: ClusterNode | undefined;
  #tickets: TicketSigner | undefined;
  #background = new Set<Promise<unknown>>();

  constructor(options: ResolvedOptions, store: HubStore) {
    this.options = options;
    this.logger = options.logger;
    this.store = store;
    this.broker = new Broker(options.logger, { fanOutSlice: options.fanOutSlice });
    this.tokens = new TokenRegistry(store);
    this.writer = new WriteQueue({
      store,
      maxBatch: options.writeBatchMax,
      maxBatchBytes: options.limits.subscriber_queue_bytes,
      onCommitted: (events) => this.#fanOut(events),
      onTransaction: (events, seconds) => {
        this.metrics.storeSeconds.observe(seconds);
        this.metrics.storeBatch.observe(events);
      },
      onError: (error) => this.logger.error("fan-out after commit failed", { error }),
    });
    this.metrics = new HubMetrics({
      delivery: this.broker.counters,
      broker: () => this.broker.stats(),
      connections: () => this.connections,
      writeQueueDepth: () => this.writer.depth,
      streams: () => this.broker.heads.size,
    });
    if (options.cluster !== undefined) this.metrics.registry.setDefaultLabels({ node_id: options.nodeId });
  }

  /** Loads state from the store; returns the admin token when it is known in clear. */
  async start(): Promise<string | null> {
    const adminToken = await this.tokens.load(this.options.adminToken);
    this.#tickets = await TicketSigner.load(this.store);
    for (const [stream, head] of await this.store.streamHeads()) this.broker.heads.set(stream, head);
    this.clock = new HubClock(await this.store.maxLamport());
    await this.problems.load(this.store);
    const cluster = this.options.cluster;
    if (cluster !== undefined) {
      this.cluster = new ClusterNode(
        { config: cluster, store: this.store, tokens: this.tokens, logger: this.logger, deliver: (events) => this.deliver(events) },
        new Map(this.broker.heads),
      );
      clusterMetrics(this.metrics.registry, this.cluster);
      await this.cluster.start();
    }
    return adminToken;
  }

  get tickets(): TicketSigner {
    if (this.#tickets === undefined) throw new Error("HubCore.start() has not run");
    return this.#tickets;
  }

  /** Validates, authorises and stores events; one result per event. Throws only when the store fails. */
  async ingest(events: readonly unknown[], principal: Principal, transport: IngestTransport): Promise<IngestResult> {
    const result = await ingest({ writer: this.writer, limits: this.options.limits, clock: this.clock }, events, principal);
    const labels = { transport };
    if (result.counts.accepted > 0) this.metrics.ingested.inc(labels, result.counts.accepted);
    if (result.counts.duplicate > 0) this.metrics.duplicates.inc(labels, result.counts.duplicate);
    if (result.counts.rejected > 0) this.metrics.rejected.inc(labels, result.counts.rejected);
    return result;
  }

  welcome(): WelcomeFrame {
    return {
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      hub_version: HUB_VERSION,
      node_id: this.options.nodeId,
      limits: { ...this.options.limits },
      heartbeat_ms: this.options.heartbeatMs,
      lamport_clock: this.clock.value,
    };
  }

  /** Registers a subscriber and replays from `since` (each stream from its own seq) before going live. */
  openStream(stream: OpenStream): Subscriber {
    const subscriber = this.broker.subscribe({
      filter: stream.filter,
      framer: stream.framer,
      sink: stream.sink,
      limits: this.#subscriberLimits(),
      ...(stream.onClosed === undefined ? {} : { onClosed: stream.onClosed }),
      ...(stream.endsAfter === undefined ? {} : { endsAfter: stream.endsAfter }),
    });
    const cluster = this.cluster;
    const replay = resume(
      {
        store: this.store,
        broker: this.broker,
        prunedThrough: () => this.store.prunedThrough(),
        legacyPosition: (seq) => this.store.legacyPosition(seq),
        ...(cluster === undefined ? {} : { storeHeads: () => cluster.storeHeads() }),
      },
      { subscriber, filter: stream.filter, since: stream.since, opened: stream.opened },
    ).catch((error: unknown) => {
      this.logger.error("replay from the store failed", { error });
      subscriber.close(CLOSE_CODES.internalError, "replay failed; reconnect with backoff");
    });
    this.#track(replay);
    return subscriber;
  }

  /** A subscriber fed by a computed channel (problems), not by the broker's events. */
  openDirect(stream: { sink: Sink; onClosed?: () => void }): Subscriber {
    return this.broker.subscribe({
      filter: { direct: true },
      framer: { event: () => Buffer.alloc(0) },
      sink: stream.sink,
      limits: this.#subscriberLimits(),
      ...(stream.onClosed === undefined ? {} : { onClosed: stream.onClosed }),
    });
  }

  #subscriberLimits(): SubscriberLimits {
    const { limits } = this.options;
    return {
      queueEvents: limits.subscriber_queue_events,
      queueBytes: limits.subscriber_queue_bytes,
      highWaterBytes: this.options.sendHighWaterBytes,
      sendTimeoutMs: this.options.sendTimeoutMs,
      slowConsumerGraceMs: this.options.slowConsumerGraceMs,
    };
  }

  /** Deletes events beyond `retainEvents`; resuming before them then gets a reset. */
  async prune(): Promise<number> {
    const keep = this.options.retainEvents;
    return keep === undefined ? 0 : this.store.prune(keep);
  }

  /** Waits for stored writes to be answered and background work to settle. */
  async drain(): Promise<void> {
    await this.writer.drain();
    await this.cluster?.feed.settled();
    await this.broker.settled();
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  #fanOut(events: readonly CommittedEvent[]): void {
    const published = events.map(
      ({ event, seq }) =>
        new PublishedEvent(
          {
            stream: event.stream,
            seq,
            eventId: event.eventId,
            project: event.project,
            channel: event.channel,
            eventType: event.eventType,
            json: event.json,
            lamport: event.lamport,
          },
          event.envelope.payload,
        ),
    );
    if (this.cluster === undefined) this.deliver(published);
    else this.cluster.committed(published);
  }

  /** Delivers stored events, each stream in seq order, to subscribers, the problems channel, machines and the clock. */
  deliver(events: readonly PublishedEvent[]): void {
    this.broker.publishBatch(events);
    for (const event of events) {
      this.clock.observe(event.lamport);
      if (event.eventType === "ProblemsSnapshot") {
        this.problems.onSnapshot(event.seq, event.project, event.parsedPayload() as ProblemsSnapshotPayload);
      } else if (event.eventType === "MachineEvent") {
        const payload = event.parsedPayload() as MachineEventPayload;
        if (payload.target === "ui") continue;
        this.#track(
          forwardToMachine(
            {
              controlDir: this.options.controlDir,
              controlPrefix: this.options.controlPrefix,
              send: this.controlSend,
              store: this.store,
              logger: this.logger,
              claimFirst: this.cluster !== undefined,
            },
            event,
            payload,
          ),
        );
      }
    }
  }

  #track(work: Promise<unknown>): void {
    this.#background.add(work);
    void work.finally(() => this.#background.delete(work));
  }
}
