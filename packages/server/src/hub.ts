/**
 * `startHub`: opens the store, loads tokens and state, listens for HTTP, WebSocket
 * and SSE on one port and for datagrams on a unix socket, and runs one sweep timer
 * for pings, heartbeats, slow consumers and retention. `close()` shuts down in
 * order: stop accepting, finish stored writes (their acks go out), close
 * subscribers with 1001 (SSE: an `end` event), then the store.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { CLOSE_CODES } from "@events/schema";
import type { BrokerStats } from "./broker/broker.js";
import { HubCore } from "./core/hub-core.js";
import { HubError } from "./errors.js";
import { resolveOptions, type HubOptions } from "./options.js";
import { connect } from "./store/connect.js";
import { KyselyStore } from "./store/kysely-store.js";
import { DatagramIngest } from "./transport/datagram.js";
import { createHttpApp } from "./transport/http-app.js";
import { SseStreams } from "./transport/sse.js";
import { WsGateway } from "./transport/ws-gateway.js";

export interface HubStats {
  readonly connections: { readonly ws: number; readonly sse: number };
  readonly broker: BrokerStats;
  /** The most any subscriber ever held in its own queue, in bytes. */
  readonly peakQueueBytes: number;
  /** The most any subscriber's socket ever held unsent, in bytes (bounded by sendHighWaterBytes plus one frame). */
  readonly peakBufferedBytes: number;
  /** Each stream's newest seq this hub delivered. */
  readonly heads: ReadonlyMap<string, number>;
  readonly deliveries: number;
  readonly drops: number;
  readonly slowConsumerCloses: number;
}

export interface Hub {
  /** `http://host:port`; WebSocket endpoints are at the same address with `ws://`. */
  readonly url: string;
  /** The admin token when known in clear (given, or generated at this first start); null when only its digest is stored. */
  readonly adminToken: string | null;
  /** This hub's node id (in `welcome`, `/healthz` and, in a cluster, on every metric). */
  readonly nodeId: string;
  /** The datagram ingest socket, when enabled. */
  readonly socketPath: string | undefined;
  /** What the hub holds right now (connections, queues), for tests and diagnostics. */
  stats(): HubStats;
  /** Runs retention now; returns how many events were pruned. */
  prune(): Promise<number>;
  /** Graceful shutdown; safe to call twice. */
  close(): Promise<void>;
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const resolved = resolveOptions(options);
  const connection = await connect(resolved.store, resolved.logger);
  const store = new KyselyStore(connection);
  const core = new HubCore(resolved, store);
  let datagram: DatagramIngest | undefined;
  let app: FastifyInstance | undefined;
  let closing = false;
  try {
    const adminToken = await core.start();
    const sse = new SseStreams(core);
    const ws = new WsGateway(core);
    const http = createHttpApp({ core, sse, closing: () => closing });
    app = http;
    http.server.on("upgrade", (request, socket, head: Buffer) => ws.handleUpgrade(request, socket, head));
    await http.listen({ host: resolved.host, port: resolved.port });
    if (resolved.socketPath !== false) {
      datagram = await DatagramIngest.open(core, resolved.socketPath);
      const sender = datagram;
      core.controlSend = (bytes, path) => sender.send(bytes, path);
    }
    const address = http.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

    const sweepMs = Math.max(10, Math.min(1_000, resolved.heartbeatMs / 2, resolved.pingTimeoutMs / 4, resolved.sendTimeoutMs / 4, resolved.slowConsumerGraceMs / 4));
    const sweep = setInterval(() => {
      const now = Date.now();
      core.broker.sweep(now);
      ws.sweep(now);
      sse.sweep(now);
    }, sweepMs);
    sweep.unref();
    const retention =
      resolved.retainEvents === undefined
        ? undefined
        : setInterval(() => void core.prune().catch((error: unknown) => resolved.logger.error("retention failed", { error })), resolved.retentionIntervalMs);
    retention?.unref();

    let closed: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      closing = true;
      core.closing = true;
      ws.stopAccepting();
      clearInterval(sweep);
      if (retention !== undefined) clearInterval(retention);
      datagram?.close();
      await core.drain();
      ws.closeAll(CLOSE_CODES.goingAway, "hub shutting down; reconnect later");
      sse.closeAll(CLOSE_CODES.goingAway, "hub shutting down");
      await Promise.all([ws.closed(), sse.closed()]);
      await http.close();
      await core.drain();
      await core.cluster?.close();
      await store.close();
    };

    return {
      url: `http://${host}:${address.port}`,
      adminToken,
      nodeId: resolved.nodeId,
      socketPath: datagram?.path,
      stats: () => {
        const broker = core.broker.stats();
        const counters = core.broker.counters;
        return {
          connections: { ...core.connections },
          broker,
          peakQueueBytes: counters.peakQueueBytes,
          peakBufferedBytes: counters.peakBufferedBytes,
          heads: new Map(core.broker.heads),
          deliveries: counters.deliveries,
          drops: counters.drops,
          slowConsumerCloses: counters.slowConsumerCloses,
        };
      },
      prune: () => core.prune(),
      close: () => (closed ??= close()),
    };
  } catch (error) {
    datagram?.close();
    await app?.close().catch(() => undefined);
    await core.cluster?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw HubError.from(error, "unavailable");
  }
}
