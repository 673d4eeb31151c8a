/**
 * Delivers the outbox to the hub: claims rows under a lease, publishes them over the
 * WebSocket (or HTTP batches when that is what works), and applies each event's
 * result: `accepted` and `duplicate` remove the row, `rejected` counts a failure
 * against that event only (dead-lettered past the retry limit), so a poison event
 * never holds back the ones behind it. A failure of the connection counts against no
 * event: the rows are released and sent again later. Never throws.
 */
import type { Backoff } from "@events/client/backoff";
import { DEFAULT_LIMITS, type Limits } from "@events/schema";
import type { ClaimedEvent, Outbox } from "../outbox/outbox.js";
import { halve, splitBatches, toSendable, type Sendable } from "./batches.js";
import { TypedEvents, type ConnectionState, type SyncEventMap, type SyncProgress } from "./connection-state.js";
import { HttpTransport } from "./http-transport.js";
import { SYNC_HINTS, SyncError, toSyncError, type SyncErrorClass } from "./sync-error.js";
import { WsTransport, type PublishOutcome } from "./ws-transport.js";

export interface SyncClientOptions {
  outbox: Outbox;
  /** The hub's base URL, e.g. `http://127.0.0.1:8787`. */
  serverUrl: string;
  token: string;
  /** Applies the Lamport receive rule to values the hub sends. */
  observe?: (value: number) => void;
  /** Rows claimed per round. @default 1_000 */
  claimLimit?: number;
  /** Reconnect backoff: the first cap and the largest, in milliseconds (full jitter). @default { baseMs: 500, maxMs: 30_000 } */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Consecutive WebSocket failures before trying HTTP batches. @default 3 */
  wsFailuresBeforeBatch?: number;
  /** While sending HTTP batches, how often to try the WebSocket again, in milliseconds. @default 60_000 */
  wsRetryMs?: number;
  /** While idle, how often to look for events other processes queued, in milliseconds. @default 5_000 */
  pollMs?: number;
  /** Milliseconds to open the WebSocket and get the welcome. @default 5_000 */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for one ack or one HTTP answer. @default 30_000 */
  requestTimeoutMs?: number;
  /** Which transport to try first. @default "ws" */
  transport?: "ws" | "http";
  /**
   * A drain of at most this many events, before the WebSocket is open, goes out as one
   * HTTP request instead: opening a WebSocket costs a short-lived host more (loading
   * the client library, the upgrade) than the whole batch. @default 100
   */
  smallDrain?: number;
  /** @default Date.now */
  now?: () => number;
  /** Where debug traces go (the emitter passes its own when EVENTS_DEBUG=1). @default nowhere */
  trace?: (message: string) => void;
}

export interface SyncResult extends SyncProgress {
  /** The error that stopped the drain early, if one did. */
  error?: { errorClass: SyncErrorClass; message: string; hint: string };
}

export interface SyncNowOptions {
  onProgress?: (progress: SyncProgress) => void;
  /** Give up after this many milliseconds and report what remains. @default no limit */
  timeoutMs?: number;
}

export interface SyncStatus {
  state: ConnectionState;
  /** Epoch milliseconds of the last batch the hub answered. */
  lastSyncAt: number | null;
  lastError: { errorClass: SyncErrorClass; message: string; hint: string; at: number } | null;
  outboxSize: number;
  serverUrl: string;
}

type Transport = { kind: "ws"; limits: Limits; publish: (events: readonly Sendable[]) => Promise<PublishOutcome> } | {
  kind: "http";
  limits: Limits;
  publish: (events: readonly Sendable[]) => Promise<PublishOutcome>;
};

const RETRY_AFTER_ATTEMPTS = 5;
/** The close code of a WebSocket that closed without a close frame, or never opened. */
const ABNORMAL_CLOSURE = 1006;
/** Small drains sent over HTTP before the client opens its WebSocket. */
const SMALL_DRAINS = 3;
/** What a small drain assumes of a hub it has not asked: the defaults every hub starts with. */
const SMALL_DRAIN_LIMITS: Limits = DEFAULT_LIMITS;

export class SyncClient {
  readonly events = new TypedEvents<SyncEventMap>();
  private state: ConnectionState = "idle";
  private ws: WsTransport | undefined;
  private connecting: Promise<Transport> | undefined;
  private connectAbort: AbortController | undefined;
  private http: HttpTransport;
  private httpLimits: Limits | undefined;
  private wsFailures = 0;
  private batchSince: number | undefined;
  private lastSyncAt: number | null = null;
  private lastError: SyncStatus["lastError"] = null;
  /** Made at the first failure: a host whose drains succeed never loads it. */
  private backoff: Backoff | undefined;
  private readonly now: () => number;
  private readonly trace: (message: string) => void;
  /** Rows claimed and not yet settled: released if the process exits. */
  readonly inFlight = new Set<string>();
  private draining: Promise<SyncResult> = Promise.resolve(emptyResult(0));
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private serverUrl: string;
  private token: string;

  constructor(private readonly options: SyncClientOptions) {
    this.serverUrl = options.serverUrl;
    this.token = options.token;
    this.http = this.makeHttp();
    this.now = options.now ?? Date.now;
    this.trace = options.trace ?? (() => undefined);
  }

  connectionStatus(): ConnectionState {
    return this.state;
  }

  status(): SyncStatus {
    return {
      state: this.state,
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      outboxSize: safeSize(this.options.outbox),
      serverUrl: this.serverUrl,
    };
  }

  /** New credentials (after `events auth login`): leaves `unauthenticated` and reconnects. */
  setCredentials(serverUrl: string, token: string): void {
    this.serverUrl = serverUrl;
    this.token = token;
    this.http = this.makeHttp();
    this.httpLimits = undefined;
    this.dropWs();
    if (this.state === "unauthenticated") this.setState("idle", "new credentials");
    this.notify();
  }

  /**
   * Drains the outbox now; resolves with what happened. Drains never overlap. With
   * `timeoutMs` it resolves by then whatever the network does: rows in flight are
   * released and the connection dropped.
   */
  syncNow(options: SyncNowOptions = {}): Promise<SyncResult> {
    // An explicit drain keeps the process alive until it ends (the sockets do not).
    const hold = setInterval(() => undefined, 1 << 30);
    const deadline = options.timeoutMs === undefined ? Infinity : this.now() + options.timeoutMs;
    const totals = emptyResult(0);
    const run = this.draining.then(() => this.drain(deadline, options.onProgress, totals));
    this.draining = run.catch(() => emptyResult(0));
    const bounded =
      options.timeoutMs === undefined
        ? run
        : Promise.race([
            run,
            new Promise<SyncResult>((resolve) => {
              const timer = setTimeout(() => {
                this.releaseInFlight();
                this.dropWs();
                resolve({ ...totals, remaining: safeSize(this.options.outbox), error: timeoutError(options.timeoutMs ?? 0) });
              }, options.timeoutMs);
              timer.unref();
              void run.finally(() => clearTimeout(timer));
            }),
          ]);
    return bounded.finally(() => clearInterval(hold));
  }

  /** Starts background delivery: drains whenever notified, polls while idle, backs off on failure. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.background();
  }

  /** Tells the background loop there is something new to send. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Stops the background loop and delivers for at most `flushMs` more, holding the
   * process open only that long; then closes the connection and gives back any rows
   * still in flight. Resolves by the deadline whatever the network does.
   */
  async stop(flushMs = 0): Promise<SyncResult> {
    this.running = false;
    this.notify();
    const started = this.now();
    const hold = setTimeout(() => undefined, Math.max(1, flushMs));
    const late = (): SyncResult => ({ ...emptyResult(safeSize(this.options.outbox)), error: timeoutError(flushMs) });
    try {
      const work = (async (): Promise<SyncResult> => {
        await this.loop;
        const left = flushMs - (this.now() - started);
        return left > 0 ? this.syncNow({ timeoutMs: left }) : emptyResult(safeSize(this.options.outbox));
      })();
      return await Promise.race([
        work,
        new Promise<SyncResult>((resolve) => {
          const timer = setTimeout(() => resolve(late()), flushMs);
          timer.unref();
          void work.finally(() => clearTimeout(timer));
        }),
      ]);
    } finally {
      clearTimeout(hold);
      this.dropWs();
      this.releaseInFlight();
    }
  }

  /** Gives back rows claimed but not settled (synchronous: safe in an exit handler). */
  releaseInFlight(): void {
    if (this.inFlight.size === 0) return;
    try {
      this.options.outbox.release([...this.inFlight]);
    } catch {
      // The leases expire by themselves.
    }
    this.inFlight.clear();
  }

  private async background(): Promise<void> {
    while (this.running) {
      let delay = this.options.pollMs ?? 5_000;
      if (this.state !== "unauthenticated") {
        const result = await this.syncNowUnheld();
        if (result.error !== undefined && result.error.errorClass !== "schema") {
          delay = this.retryDelay ?? (await this.failureBackoff()).next();
          this.retryDelay = undefined;
        } else {
          this.backoff?.reset();
        }
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private retryDelay: number | undefined;

  private async failureBackoff(): Promise<Backoff> {
    if (this.backoff !== undefined) return this.backoff;
    const { Backoff } = await import("@events/client/backoff");
    const tuning = this.options.backoff;
    return (this.backoff ??= new Backoff({ minDelayMs: tuning?.baseMs ?? 500, maxDelayMs: tuning?.maxMs ?? 30_000 }));
  }

  private syncNowUnheld(): Promise<SyncResult> {
    const run = this.draining.then(() => this.drain(Infinity, undefined, emptyResult(0)));
    this.draining = run.catch(() => emptyResult(0));
    return run;
  }

  private async drain(deadline: number, onProgress: SyncNowOptions["onProgress"], totals: SyncProgress): Promise<SyncResult> {
    const outbox = this.options.outbox;
    let failure: SyncError | undefined;
    while (this.now() < deadline) {
      let claimed: ClaimedEvent[];
      try {
        claimed = outbox.claim(this.options.claimLimit ?? 1_000);
      } catch (error) {
        failure = new SyncError("server", `the outbox could not be read: ${(error as Error).message}`);
        break;
      }
      if (claimed.length === 0) break;
      for (const row of claimed) this.inFlight.add(row.id);
      try {
        await this.send(claimed.map((row) => toSendable(row.id, row.event)), totals, deadline);
      } catch (error) {
        failure = toSyncError(error);
        break;
      } finally {
        this.releaseInFlight();
      }
      totals.remaining = safeSize(outbox);
      onProgress?.({ ...totals });
    }
    totals.remaining = safeSize(outbox);
    if (failure === undefined) return totals;
    if (failure.errorClass === "auth" && this.state !== "unauthenticated") this.markUnauthenticated(failure);
    else this.recordError(failure);
    return { ...totals, error: { errorClass: failure.errorClass, message: failure.message, hint: failure.hint } };
  }

  /** Publishes claimed events in batches the hub takes; settles every row it can. */
  private async send(events: Sendable[], totals: SyncProgress, deadline: number): Promise<void> {
    const transport = this.smallOverHttp(events.length) ?? (await this.transport());
    const maxBytes = transport.kind === "ws" ? transport.limits.max_frame_bytes : transport.limits.max_batch_bytes;
    const { batches, oversize } = splitBatches(events, transport.limits, maxBytes);
    for (const event of oversize) {
      this.reject([event.id], `the event is ${event.bytes} bytes; the hub takes at most ${transport.limits.max_event_bytes}`, totals);
    }
    const queue = [...batches];
    let attempts = 0;
    while (queue.length > 0) {
      const batch = queue.shift()!;
      let outcome: PublishOutcome;
      try {
        this.trace(`sync: publishing ${batch.length} event(s) over ${transport.kind}`);
        outcome = await transport.publish(batch);
        attempts = 0;
      } catch (error) {
        const failure = toSyncError(error);
        if (failure.status === 413 && batch.length > 1) {
          queue.unshift(...halve(batch));
          continue;
        }
        if (failure.status === 413) {
          this.reject([batch[0]!.id], `the hub refused the event as too large (${failure.message})`, totals);
          continue;
        }
        const wait = failure.retryAfterMs;
        if ((failure.status === 429 || failure.status === 503) && wait !== undefined && attempts < RETRY_AFTER_ATTEMPTS && this.now() + wait < deadline) {
          attempts += 1;
          this.trace(`sync: the hub asked to wait ${wait} ms (HTTP ${failure.status})`);
          await sleep(wait);
          queue.unshift(batch);
          continue;
        }
        if (failure.retryAfterMs !== undefined) this.retryDelay = failure.retryAfterMs;
        throw failure;
      }
      this.apply(batch, outcome, totals);
      const remaining = safeSize(this.options.outbox);
      this.trace(`sync: the hub answered for ${outcome.results.length} event(s); ${remaining} wait in the outbox`);
      this.events.emit("batch", { ...totals, remaining, transport: transport.kind, size: batch.length });
    }
  }

  private apply(batch: readonly Sendable[], outcome: PublishOutcome, totals: SyncProgress): void {
    this.options.observe?.(outcome.lamportClock);
    this.lastSyncAt = this.now();
    const acked: string[] = [];
    const answered = new Set<string>();
    for (const [index, result] of outcome.results.entries()) {
      const id = result.event_id ?? batch[result.status === "rejected" ? result.index : index]?.id;
      if (id === undefined || id === null) continue;
      answered.add(id);
      switch (result.status) {
        case "accepted":
          totals.synced += 1;
          acked.push(id);
          break;
        case "duplicate":
          totals.duplicates += 1;
          acked.push(id);
          break;
        case "rejected":
          this.reject([id], result.issues.map((issue) => issue.message).join("; "), totals);
          break;
      }
    }
    const outbox = this.options.outbox;
    if (acked.length > 0) outbox.ack(acked);
    for (const id of answered) this.inFlight.delete(id);
    // Events the hub did not answer go back for another attempt.
    const unanswered = batch.filter((event) => !answered.has(event.id)).map((event) => event.id);
    if (unanswered.length > 0) outbox.release(unanswered);
    for (const id of unanswered) this.inFlight.delete(id);
  }

  private reject(ids: string[], reason: string, totals: SyncProgress): void {
    totals.rejected += ids.length;
    const result = this.options.outbox.nack(ids, reason);
    totals.deadLettered += result.deadLettered.length;
    for (const id of ids) this.inFlight.delete(id);
    const error = new SyncError("schema", reason);
    this.events.emit("error", { errorClass: "schema", message: reason, hint: error.hint });
  }

  private smallDrains = 0;

  /**
   * HTTP for the first few small drains of a client with no WebSocket yet (a CLI
   * command's handful of events); the WebSocket once drains grow or keep coming.
   */
  private smallOverHttp(size: number): Transport | undefined {
    if (this.options.transport === "http" || this.state === "unauthenticated") return undefined;
    if (this.ws !== undefined && !this.ws.closed) return undefined;
    if (size > (this.options.smallDrain ?? 100) || this.smallDrains >= SMALL_DRAINS) return undefined;
    this.smallDrains += 1;
    const http = this.http;
    // The hub's limits are not worth a round trip here: a small drain fits the defaults,
    // and a hub that takes less answers 413, which splits the batch.
    return { kind: "http", limits: this.httpLimits ?? SMALL_DRAIN_LIMITS, publish: (events) => http.publish(events) };
  }

  private transport(): Promise<Transport> {
    if (this.state === "unauthenticated" && this.lastError !== null) {
      return Promise.reject(new SyncError("auth", this.lastError.message));
    }
    const ws = this.ws;
    if (ws !== undefined && !ws.closed) return Promise.resolve({ kind: "ws", limits: ws.limits, publish: (e) => ws.publish(e) });
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Transport> {
    const preferHttp = this.options.transport === "http";
    const inBatchMode = this.batchSince !== undefined && this.now() - this.batchSince < (this.options.wsRetryMs ?? 60_000);
    if (!preferHttp && !inBatchMode) {
      this.setState("connecting", "opening the WebSocket");
      const abort = new AbortController();
      this.connectAbort = abort;
      try {
        const ws = await WsTransport.connect({
          signal: abort.signal,
          serverUrl: this.serverUrl,
          token: this.token,
          connectTimeoutMs: this.options.connectTimeoutMs ?? 5_000,
          ackTimeoutMs: this.options.requestTimeoutMs ?? 30_000,
          onClose: (error) => {
            if (error.errorClass === "auth") this.markUnauthenticated(error);
            else if (this.ws === ws) this.setState("offline", error.message);
            this.notify();
          },
        });
        this.ws = ws;
        this.wsFailures = 0;
        this.batchSince = undefined;
        const { nodeId, lamportClock } = ws.welcome;
        if (lamportClock !== undefined) this.options.observe?.(lamportClock);
        this.setState("connected", `welcome from ${nodeId ?? "the hub"}`);
        return { kind: "ws", limits: ws.limits, publish: (events) => ws.publish(events) };
      } catch (error) {
        const failure = toSyncError(error);
        if (failure.errorClass === "auth") {
          this.markUnauthenticated(failure);
          throw failure;
        }
        this.wsFailures += 1;
        // The socket never opened (an upgrade refused on the way, or no hub at all): asking
        // for the limits over HTTP tells which, and a hub that answers gets batches at once.
        const neverOpened = failure.status === ABNORMAL_CLOSURE;
        if (!neverOpened && this.wsFailures < (this.options.wsFailuresBeforeBatch ?? 3)) {
          this.setState("offline", failure.message);
          throw failure;
        }
      }
    }
    try {
      this.httpLimits ??= await this.http.limits();
    } catch (error) {
      const failure = toSyncError(error);
      if (failure.errorClass === "auth") this.markUnauthenticated(failure);
      else this.setState("offline", failure.message);
      throw failure;
    }
    this.batchSince ??= this.now();
    this.setState("batch", preferHttp ? "HTTP batches chosen" : "the WebSocket is refused or keeps failing");
    const http = this.http;
    return { kind: "http", limits: this.httpLimits, publish: (events) => http.publish(events) };
  }

  private markUnauthenticated(error: SyncError): void {
    this.dropWs();
    this.setState("unauthenticated", error.message);
    this.recordError(error);
  }

  private recordError(error: SyncError): void {
    this.lastError = { errorClass: error.errorClass, message: error.message, hint: SYNC_HINTS[error.errorClass], at: this.now() };
    this.events.emit("error", { errorClass: error.errorClass, message: error.message, hint: error.hint });
  }

  private setState(state: ConnectionState, reason: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.trace(`sync: ${previous} -> ${state} (${reason})`);
    this.events.emit("state", { state, previous, reason });
  }

  private dropWs(): void {
    this.connectAbort?.abort();
    this.connectAbort = undefined;
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
  }

  private makeHttp(): HttpTransport {
    return new HttpTransport({
      serverUrl: this.serverUrl,
      token: this.token,
      timeoutMs: this.options.requestTimeoutMs ?? 30_000,
    });
  }
}

function timeoutError(ms: number): NonNullable<SyncResult["error"]> {
  const error = new SyncError("network", `gave up after ${ms} ms`);
  return { errorClass: error.errorClass, message: error.message, hint: error.hint };
}

function emptyResult(remaining: number): SyncResult {
  return { synced: 0, duplicates: 0, rejected: 0, deadLettered: 0, remaining };
}

function safeSize(outbox: Outbox): number {
  try {
    return outbox.size();
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
