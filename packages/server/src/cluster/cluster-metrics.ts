/**
 * A cluster node's bus metrics, read at scrape time from the bus and the ordered
 * feed (nothing is counted twice on the hot path). Every metric of a cluster node
 * carries a `node_id` label (the registry's default label), so a Prometheus that
 * scrapes every node can tell them apart.
 */
import type { Registry } from "prom-client";
import { fromSource } from "../metrics/hub-metrics.js";
import type { ClusterNode } from "./cluster-node.js";

export function clusterMetrics(registry: Registry, node: ClusterNode): void {
  const registers = [registry];
  const counter = (name: string, help: string, read: () => number): void => fromSource(registers, { name, help, read, type: "counter" });
  const gauge = (name: string, help: string, read: () => number): void => fromSource(registers, { name, help, read, type: "gauge" });
  const bus = node.bus.counters;
  const feed = node.feed.counters;
  counter("events_bus_published_total", "Commit and control messages this node published on the bus.", () => bus.published);
  counter("events_bus_publish_failures_total", "Messages not published because the bus was down (other nodes fill them from the store).", () => bus.publishFailures);
  counter("events_bus_received_total", "Messages received from the bus (this node's own included).", () => bus.received);
  counter("events_bus_malformed_total", "Bus messages that could not be decoded (ignored; gaps are filled from the store).", () => bus.malformed);
  counter("events_bus_reconnects_total", "Times the bus subscription came back after a disconnect.", () => bus.reconnects);
  counter("events_bus_gap_fills_total", "Gaps in a stream's seqs (missed bus messages) filled from the store.", () => feed.gapFills);
  counter("events_bus_filled_events_total", "Events delivered from the store instead of the bus.", () => feed.filledEvents);
  counter("events_bus_catchups_total", "Streams caught up from the store (bus reconnects, lag checks).", () => feed.catchUps);
  counter("events_bus_reorder_overflows_total", "Times a stream's reorder buffer was dropped for the bound and replaced by a read from the store.", () => feed.overflows);
  counter("events_bus_fill_errors_total", "Failed store reads while filling (retried).", () => feed.fillErrors);
  gauge("events_bus_connected", "1 when the bus is connected and subscribed.", () => (node.bus.connected ? 1 : 0));
  gauge("events_bus_pending_events", "Events waiting in the reorder buffers.", () => node.feed.pendingEvents);
  gauge("events_bus_streams", "Streams (projects) this node has delivered or seen in the store.", () => node.streams);
  gauge("events_bus_lag_seq", "Seqs the store held at the last check and this node has not delivered, summed over streams.", () => node.lag);
}
