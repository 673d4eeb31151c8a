/**
 * The problems channel: producers publish whole snapshots of their findings; a
 * subscriber gets the latest snapshot on join, then the deltas the hub computes
 * between successive snapshots of its project, keyed by `(rule, offending_path)`.
 * Each delta is serialised (as a WebSocket frame) once for every subscriber of that project.
 */
import { diffFindings, isEmptyDelta, type Finding, type ProblemsFrame, type ProblemsSnapshotPayload } from "@events/schema";
import { textFrame } from "../broker/published-event.js";
import type { Subscriber } from "../broker/subscriber.js";
import type { HubStore } from "../store/hub-store.js";
import { projectKey } from "../store/records.js";

interface Latest {
  readonly seq: number;
  readonly findings: readonly Finding[];
  readonly auditAt: string;
}

export class ProblemsChannel {
  #latest = new Map<string, Latest>();
  #subscribers = new Map<string, Set<Subscriber>>();

  /** Loads the latest snapshot of every project, so deltas continue across restarts. */
  async load(store: HubStore): Promise<void> {
    for (const record of await store.latestProblems()) {
      this.#latest.set(record.projectKey, {
        seq: record.seq,
        findings: JSON.parse(record.findingsJson) as Finding[],
        auditAt: record.auditAt,
      });
    }
  }

  /** Sends the current snapshot and registers the subscriber for deltas (synchronously: no gap). */
  join(subscriber: Subscriber, project: string | null): void {
    const key = projectKey(project);
    const latest = this.#latest.get(key);
    const snapshot: ProblemsFrame = {
      kind: "snapshot",
      findings: [...(latest?.findings ?? [])],
      audit_at: latest?.auditAt ?? new Date().toISOString(),
    };
    subscriber.deliver(textFrame(Buffer.from(JSON.stringify(snapshot))));
    let set = this.#subscribers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(key, set);
    }
    set.add(subscriber);
  }

  leave(subscriber: Subscriber, project: string | null): void {
    const key = projectKey(project);
    const set = this.#subscribers.get(key);
    set?.delete(subscriber);
    if (set?.size === 0) this.#subscribers.delete(key);
  }

  /** A snapshot was stored (`seq` in its project's stream): remember it and send the delta to the project's subscribers. */
  onSnapshot(seq: number, project: string | null, payload: ProblemsSnapshotPayload): void {
    const key = projectKey(project);
    const previous = this.#latest.get(key);
    // Loaded at start from a store that may already hold this one (a cluster node's feed delivers it after).
    if (previous !== undefined && previous.seq >= seq) return;
    this.#latest.set(key, { seq, findings: payload.findings, auditAt: payload.audit_at });
    const subscribers = this.#subscribers.get(key);
    if (subscribers === undefined || subscribers.size === 0) return;
    const delta = diffFindings(previous?.findings ?? [], payload.findings);
    if (isEmptyDelta(delta)) return;
    const frame: ProblemsFrame = { kind: "delta", ...delta, audit_at: payload.audit_at };
    const bytes = textFrame(Buffer.from(JSON.stringify(frame)));
    for (const subscriber of subscribers) subscriber.deliver(bytes);
  }
}
