/**
 * The emitter: `emit()` validates an event, stamps identity and a Lamport value,
 * and makes it durable in queue.db before it returns, or keeps it in memory with a
 * warning when the disk cannot take it. It never throws into the host command and
 * never touches the network; it costs one SQLite transaction and no process spawn.
 */
import { channelOf, envelopeCodec, type Envelope, type EnvelopeOf, type EventType, type PayloadOf, type Issue } from "@events/schema";
import type { ClockState } from "../clock/lamport-clock.js";
import { NodeClock } from "../clock/node-clock.js";
import { generateCausationId, newEventId } from "../ids.js";
import { resolveIdentity, type Identity } from "../identity/identity.js";
import { debug, warn, warnOnce } from "../logger.js";
import { resolveOptions, type EmitterOptions, type ResolvedOptions } from "../options.js";
import { DurableOutbox } from "../outbox/durable-outbox.js";
import type { Outbox } from "../outbox/outbox.js";
import { OutboxView } from "../outbox/outbox-view.js";
import { parseStored, prepareEvent, type PreparedEvent } from "../outbox/prepared-event.js";
import type { EmitOptions, EmitResult } from "./emit-types.js";
import { buildEnvelope } from "./envelope-builder.js";
import { eventHelpers, type EventHelpers } from "./event-helpers.js";
import { registerForExit, unregisterForExit, type ExitParticipant } from "./exit-hook.js";
import { createSessionHandle, type SessionHandle } from "./session-handle.js";
import { reportUnsent, type UnsentReport } from "./unsent-report.js";
import { SyncRuntime, type RuntimeStatus } from "../sync/runtime.js";
import type { SyncNowOptions, SyncResult } from "../sync/sync-client.js";
import type { ConnectionState, SyncEventMap } from "../sync/connection-state.js";
import type { SyncTuning } from "../options.js";

export interface IdentitySnapshot {
  nodeId: string;
  teamSlug: string;
  /** Null when it cannot be found (the working directory was deleted). */
  projectRoot: string | null;
  project: { uuid: string; slug: string } | null;
  /** False when the project identity could not be stored and lives in this process only. */
  projectPersisted: boolean;
  gitBranch: string | null;
  headCommitSha: string | null;
  repoSlug: string | null;
}

export type CloseReport = UnsentReport;

export interface Emitter extends EventHelpers {
  /** Emits one event; the payload's type follows `eventType`. Never throws. */
  emit: <T extends EventType>(eventType: T, payload: PayloadOf<T>, options?: EmitOptions) => EmitResult<T>;
  /** A handle that emits the frames of session `id`. */
  session: (id: string, options?: EmitOptions) => SessionHandle;
  /** A new ULID to pass as `causationId` to the events one action causes. */
  generateCausationId: () => string;
  /** The outbox, for the sync client and `events queue`. */
  readonly outbox: Outbox;
  /** The node's Lamport clock: the last value issued or observed. */
  clock: () => ClockState;
  /** Lamport receive rule: value := max(value, remote); the next emit is greater than `remote`. */
  observe: (remote: number) => ClockState;
  /** Sets the clock (default 0). For `events clock reset`. */
  resetClock: (value?: number) => ClockState;
  /** Tries now to write events waiting in memory; returns how many still wait. */
  flush: () => number;
  /** Whether background sync should start (option, else `sync.auto_start`, else true). */
  readonly autoSync: boolean;
  readonly home: string;
  identity: () => IdentitySnapshot;
  readonly closed: boolean;
  /**
   * Delivers what waits in the outbox to the hub now, and resolves with what happened
   * (never rejects). Needs a server and token (options, env or `events auth login`).
   */
  syncNow: (options?: SyncNowOptions) => Promise<SyncResult>;
  /**
   * Asks the home's background syncer (starting one if none runs) to deliver now and
   * waits at most `timeoutMs` for its answer; this process never talks to the hub.
   */
  syncViaSyncer: (options: { timeoutMs: number }) => Promise<SyncResult>;
  /** The sync client's state: connecting, connected, offline, batch, unauthenticated (idle before it starts). */
  connectionStatus: () => ConnectionState;
  /** Last successful sync, last error with its class and hint, outbox size, state and where the server came from. */
  status: () => RuntimeStatus;
  /** Listens to the sync client: `state`, `batch` and `error` events. Returns a function that stops listening. */
  onSync: <Name extends keyof SyncEventMap>(name: Name, listener: (payload: SyncEventMap[Name]) => void) => () => void;
  /** Delivers for at most `exitFlushMs`, then writes what it can, closes queue.db and reports (and returns) events that could not be written. */
  close: () => Promise<CloseReport>;
}

class DurableEmitter implements ExitParticipant {
  #sync: SyncRuntime | undefined;
  readonly options: ResolvedOptions;
  readonly outbox: DurableOutbox;
  readonly clock: NodeClock;
  readonly #warn = warnOnce();
  #identity: Identity | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.outbox = new DurableOutbox(options, this.#warn);
    this.clock = new NodeClock(this.outbox);
    if (options.exitHook) registerForExit(this);
  }

  identity(): Identity {
    this.#identity ??= resolveIdentity({
      options: this.options,
      cache: {
        get: (key) => this.outbox.peek((store) => store.configCache.get(key)),
        set: (key, value) => void this.outbox.peek((store) => store.configCache.set(key, value)),
      },
      onProblem: (problem) => this.#warn("identity", problem),
    });
    return this.#identity;
  }

  emit<T extends EventType>(eventType: T, payload: PayloadOf<T>, options?: EmitOptions): EmitResult<T> {
    try {
      if (this.outbox.closed) return { ok: false, reason: "closed", message: "the emitter is closed" };
      const identity = this.identity();
      const now = this.options.now();
      const candidate = buildEnvelope({
        eventType,
        payload,
        options,
        identity,
        eventId: newEventId(),
        correlationId: this.options.correlationId,
        timestamp: new Date(now).toISOString(),
      });
      const decoded = envelopeCodec.decode(candidate);
      if (!decoded.ok) return this.#invalid(safeString(eventType), decoded.issues);
      const prepared = this.#prepare(decoded.value);
      if (!("eventId" in prepared)) return this.#invalid(safeString(eventType), prepared);
      const stored = this.outbox.append(prepared);
      if (!stored.ok) {
        if (this.options.debug) debug(`emit ${eventType} ${decoded.value.event_id}: valid; not stored (${stored.message})`);
        return stored;
      }
      const event = (stored.stored === undefined ? { ...decoded.value, lamport_clock: stored.clock } : parseStored(stored.stored)) as EnvelopeOf<T>;
      if (this.options.debug) this.#trace(event, stored.durable, stored.duplicate);
      this.sync().onEmit();
      return { ok: true, event, durable: stored.durable, duplicate: stored.duplicate };
    } catch (error) {
      const message = `emit ${safeString(eventType)} failed unexpectedly: ${error instanceof Error ? error.message : safeString(error)}`;
      this.#warn("internal", `${message} (a bug in @events/sdk; please report it)`);
      return { ok: false, reason: "internal", message };
    }
  }

  /** Serialises a valid event; a value JSON cannot represent (a cycle, a BigInt in an open object) is an issue, not a crash. */
  #prepare(envelope: Envelope): PreparedEvent | Issue[] {
    try {
      return prepareEvent(envelope);
    } catch (error) {
      const received = `a value that cannot be serialised (${error instanceof Error ? error.message : safeString(error)})`;
      return [{ path: "/payload", expected: "a value JSON can represent", received, message: `/payload: expected a value JSON can represent, received ${received}` }];
    }
  }

  #invalid(eventType: string, issues: readonly Issue[]): EmitResult<never> {
    const message = `${eventType} is not a valid event: ${issues.map((issue) => issue.message).join("; ")}`;
    if (this.options.debug) debug(`emit ${eventType}: invalid, not queued (${issues.map((issue) => issue.message).join("; ")})`);
    return { ok: false, reason: "invalid", message, issues };
  }

  #trace(event: EnvelopeOf<EventType>, durable: boolean, duplicate: boolean): void {
    const identity = this.identity();
    const git = identity.git();
    const project = identity.project === null ? "none" : `${identity.project.slug} ${identity.project.uuid}${identity.projectPersisted ? "" : " (in memory)"}`;
    const route = duplicate ? "already queued (duplicate)" : durable ? `outbox ${this.options.databasePath}` : "memory (disk unavailable)";
    debug(
      `emit ${event.event_type} ${event.event_id}: valid; project ${project}, node ${event.node_id}, team ${event.team_slug}, ` +
        `branch ${git.branch ?? "-"}; clock ${event.lamport_clock}; routed to ${route}, channel ${channelOf(event)}`,
    );
  }

  /** The background delivery; created on first use, started by the first emit. */
  sync(): SyncRuntime {
    this.#sync ??= new SyncRuntime({
      outbox: new OutboxView(this.outbox, this.options.now),
      home: this.options.home,
      observe: (value) => void this.clock.observe(this.identity().nodeId, value),
      autoStart: () => this.autoSync,
      autoStartExplicit: () => this.options.autoSync !== undefined || this.#projectAutoStart() !== undefined,
      serverUrl: this.options.serverUrl,
      token: this.options.token,
      exitFlushMs: this.options.exitFlushMs,
      background: this.options.syncBackground,
      ...(this.options.debug ? { trace: (message: string) => debug(message) } : {}),
      client: { ...syncClientOptions(this.options.syncTuning), transport: this.options.syncTransport, now: this.options.now },
    });
    return this.#sync;
  }

  #projectAutoStart(): boolean | undefined {
    try {
      return this.identity().autoStart;
    } catch {
      return undefined;
    }
  }

  get autoSync(): boolean {
    if (this.options.autoSync !== undefined) return this.options.autoSync;
    try {
      return this.identity().autoStart ?? true;
    } catch {
      return true;
    }
  }

  closeSync(): CloseReport {
    unregisterForExit(this);
    // Rows a delivery cut short still holds go back first, while queue.db is open, so
    // the next process can send them at once instead of waiting for their leases.
    this.#sync?.releaseInFlight();
    return reportUnsent(this.outbox.close(), this.options.home);
  }

  closeAtExit(): void {
    this.closeSync();
  }
}

/** A value as text for a message; never throws, whatever the value's toString does. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "an unprintable value";
    }
  }
}

function snapshot(identity: Identity): IdentitySnapshot {
  const git = identity.git();
  return {
    nodeId: identity.nodeId,
    teamSlug: identity.teamSlug,
    projectRoot: identity.projectRoot,
    project: identity.project,
    projectPersisted: identity.projectPersisted,
    gitBranch: git.branch,
    headCommitSha: git.commit,
    repoSlug: git.repoSlug,
  };
}

/** Creates an emitter. Cheap: nothing is read or opened until the first emit. Never throws. */
export function createEmitter(options: EmitterOptions = {}): Emitter {
  const inner = new DurableEmitter(resolveOptions(options));
  const emit = <T extends EventType>(eventType: T, payload: PayloadOf<T>, emitOptions?: EmitOptions): EmitResult<T> =>
    inner.emit(eventType, payload, emitOptions);
  return {
    emit,
    ...eventHelpers(emit, inner.options.now),
    session: (id, sessionOptions) => createSessionHandle(id, { emit: (frame, o) => emit("SessionEvent", frame, o), now: inner.options.now }, sessionOptions),
    generateCausationId,
    outbox: new OutboxView(inner.outbox, inner.options.now),
    clock: () => inner.clock.read(inner.identity().nodeId),
    observe: (remote) => inner.clock.observe(inner.identity().nodeId, remote),
    resetClock: (value = 0) => inner.clock.reset(inner.identity().nodeId, value),
    flush: () => inner.outbox.flush(),
    get autoSync() {
      return inner.autoSync;
    },
    home: inner.options.home,
    identity: () => snapshot(inner.identity()),
    get closed() {
      return inner.outbox.closed;
    },
    syncNow: (syncOptions) => inner.sync().syncNow(syncOptions),
    syncViaSyncer: (syncOptions) => inner.sync().syncViaSyncer(syncOptions.timeoutMs),
    connectionStatus: () => inner.sync().connectionStatus(),
    status: () => inner.sync().status(),
    onSync: (name, listener) => inner.sync().on(name, listener),
    close: async () => {
      try {
        await inner.sync().close();
      } catch (error) {
        warn(`stopping sync failed: ${error instanceof Error ? error.message : safeString(error)}`);
      }
      try {
        return inner.closeSync();
      } catch (error) {
        warn(`closing the emitter failed: ${error instanceof Error ? error.message : safeString(error)}`);
        return { unsent: [] };
      }
    },
  };
}

/** What the background syncer drives: this home's outbox and an in-process sync runtime. Not in the barrel. */
export interface SyncHost {
  runtime: SyncRuntime;
  outbox: OutboxView;
  /** Frees leases held by outboxes whose owner id starts with `prefix`; returns how many. */
  releaseLeasesOf: (prefix: string) => number;
  /** Closes queue.db (after `runtime.close()`). */
  close: () => void;
}

/**
 * Opens a home for the background syncer: delivery in this process, leases owned under
 * `leaseOwnerPrefix`; it emits nothing, so it never reads or creates a project identity.
 */
export function openSyncHost(options: EmitterOptions & { leaseOwnerPrefix: string }): SyncHost {
  const inner = new DurableEmitter({ ...resolveOptions({ ...options, autoSync: true, syncBackground: false, project: null }), leaseOwnerPrefix: options.leaseOwnerPrefix });
  return {
    runtime: inner.sync(),
    outbox: new OutboxView(inner.outbox, inner.options.now),
    releaseLeasesOf: (prefix) => inner.outbox.use((store) => store.leases.releaseOwnedBy(prefix)),
    close: () => void inner.closeSync(),
  };
}

function syncClientOptions(tuning: SyncTuning) {
  return {
    ...(tuning.claimLimit === undefined ? {} : { claimLimit: tuning.claimLimit }),
    ...(tuning.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: tuning.connectTimeoutMs }),
    ...(tuning.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: tuning.requestTimeoutMs }),
    ...(tuning.pollMs === undefined ? {} : { pollMs: tuning.pollMs }),
    ...(tuning.wsFailuresBeforeBatch === undefined ? {} : { wsFailuresBeforeBatch: tuning.wsFailuresBeforeBatch }),
    ...(tuning.backoff === undefined ? {} : { backoff: tuning.backoff }),
  };
}
