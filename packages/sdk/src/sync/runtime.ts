/**
 * The background side of an emitter: started by the first emit (unless auto-start is
 * off or no server and token are configured, in which case events simply wait in the
 * outbox), woken by every emit, and never the reason a host process stays alive.
 *
 * By default delivery is handed to the home's background syncer (../syncer/): an emit
 * pokes it over a local socket, starting one if none answers, and `close()` waits only
 * for that poke, never for the hub. Opted out (`syncBackground: false`), this process
 * delivers itself and at exit flushes for a bounded time (1 s by default).
 */
import type { Outbox } from "../outbox/outbox.js";
import { resolveServer, type ServerSettings } from "./credentials.js";
import { readUserConfig, type UserConfig } from "./user-config.js";
import { SyncClient, type SyncClientOptions, type SyncNowOptions, type SyncResult, type SyncStatus } from "./sync-client.js";
import type { ConnectionState, SyncEventMap } from "./connection-state.js";
import { drainViaSyncer, pokeSyncer, type PokeOutcome } from "../syncer/syncer-socket.js";

export interface SyncRuntimeOptions {
  outbox: Outbox;
  home: string;
  observe: (value: number) => void;
  /** Start delivering in the background on the first emit (the emitter's option or project config); the user config can still say no. */
  autoStart: () => boolean;
  /** Whether `autoStart` was set explicitly (option or project config), which wins over the user config. */
  autoStartExplicit: () => boolean;
  /** Hand delivery to the background syncer; undefined leaves it to the user config (else true). */
  background?: boolean | undefined;
  serverUrl?: string | undefined;
  token?: string | undefined;
  /** At most this long is spent delivering at exit, in milliseconds. @default 1_000 */
  exitFlushMs?: number;
  /** Where debug traces go. @default nowhere */
  trace?: (message: string) => void;
  /** Passed to the client (timeouts, backoff, transport). */
  client?: Partial<Omit<SyncClientOptions, "outbox" | "serverUrl" | "token" | "observe">>;
}

const NOT_CONFIGURED = {
  errorClass: "auth" as const,
  message: "no hub is configured",
  hint: "log in with `events auth login --server <url> --token <token>`, or set EVENTS_SERVER_URL and EVENTS_TOKEN",
};

export type RuntimeStatus = SyncStatus & {
  /** Whether a server and a token are configured. */
  configured: boolean;
  /** Where the server URL and the token came from. */
  source: ServerSettings["source"];
  /** Whether delivery is handed to the home's background syncer (decided by the first emit). */
  background: boolean;
};

export class SyncRuntime {
  private client: SyncClient | undefined;
  private settings: ServerSettings | undefined;
  private userConfig: UserConfig | undefined;
  private started = false;
  /** Delivery is the syncer's: emits poke it, this process never talks to the hub unless asked (`syncNow`). */
  private delegated = false;
  private pokePending = false;
  private poking: Promise<PokeOutcome> | undefined;
  private pokeTimer: NodeJS.Timeout | undefined;
  private exitHandlers: { beforeExit: () => void; exit: () => void } | undefined;
  private readonly listeners: Array<[keyof SyncEventMap, (payload: never) => void]> = [];

  private readonly trace: (message: string) => void;

  constructor(private readonly options: SyncRuntimeOptions) {
    this.trace = options.trace ?? (() => undefined);
  }

  /** Where the server and token come from, resolved once. */
  server(): ServerSettings {
    this.settings ??= resolveServer({
      home: this.options.home,
      serverUrl: this.options.serverUrl,
      token: this.options.token,
      configServerUrl: this.user().serverUrl,
    });
    return this.settings;
  }

  /** Called after every successful emit. Cheap when sync is off or already running. */
  onEmit(): void {
    if (this.delegated) return this.schedulePoke();
    if (this.started) {
      this.client?.notify();
      return;
    }
    this.started = true;
    const autoStart = this.options.autoStartExplicit() ? this.options.autoStart() : (this.user().autoStart ?? true);
    if (!autoStart) return this.trace("sync: auto-start is off; events wait in the outbox");
    if (this.options.background ?? this.user().background ?? true) {
      const { serverUrl, token } = this.server();
      if (serverUrl === undefined || token === undefined) return this.trace("sync: no server or token configured; events wait in the outbox");
      this.started = false;
      this.delegated = true;
      this.installExitHandlers();
      return this.schedulePoke();
    }
    const client = this.ensureClient();
    if (client === undefined) return this.trace("sync: no server or token configured; events wait in the outbox");
    this.installExitHandlers();
    client.start();
  }

  connectionStatus(): ConnectionState {
    return this.client?.connectionStatus() ?? "idle";
  }

  status(): RuntimeStatus {
    const server = this.server();
    const base: SyncStatus = this.client?.status() ?? {
      state: "idle",
      lastSyncAt: null,
      lastError: null,
      outboxSize: safeSize(this.options.outbox),
      serverUrl: server.serverUrl ?? "",
    };
    return { ...base, configured: server.serverUrl !== undefined && server.token !== undefined, source: server.source, background: this.delegated };
  }

  async syncNow(options: SyncNowOptions = {}): Promise<SyncResult> {
    const client = this.ensureClient();
    if (client === undefined) {
      return { synced: 0, duplicates: 0, rejected: 0, deadLettered: 0, remaining: safeSize(this.options.outbox), error: NOT_CONFIGURED };
    }
    return client.syncNow(options);
  }

  /** The syncer drains now and says what it did; the drain request is also the poke. */
  async syncViaSyncer(timeoutMs: number): Promise<SyncResult> {
    const { serverUrl, token } = this.server();
    if (serverUrl === undefined || token === undefined) {
      return { synced: 0, duplicates: 0, rejected: 0, deadLettered: 0, remaining: safeSize(this.options.outbox), error: NOT_CONFIGURED };
    }
    this.pokePending = false;
    clearTimeout(this.pokeTimer);
    this.pokeTimer = undefined;
    const reply = await drainViaSyncer({ home: this.options.home, env: this.syncerEnv(), trace: this.trace, timeoutMs });
    const remaining = reply.remaining >= 0 ? reply.remaining : safeSize(this.options.outbox);
    return { synced: reply.synced, duplicates: 0, rejected: 0, deadLettered: 0, remaining, ...(reply.error === undefined ? {} : { error: reply.error }) };
  }

  on<Name extends keyof SyncEventMap>(name: Name, listener: (payload: SyncEventMap[Name]) => void): () => void {
    if (this.client !== undefined) return this.client.events.on(name, listener);
    this.listeners.push([name, listener]);
    return () => {
      const index = this.listeners.findIndex(([, candidate]) => candidate === listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Gives back rows claimed by a delivery still under way (synchronous: safe at exit). */
  releaseInFlight(): void {
    this.client?.releaseInFlight();
  }

  /** Whether delivery is handed to the background syncer (decided by the first emit). */
  get background(): boolean {
    return this.delegated;
  }

  /** Stops background delivery, flushing for at most `flushMs`; handed to the syncer, only the last poke is awaited. */
  async close(flushMs = this.options.exitFlushMs ?? 1_000): Promise<SyncResult | undefined> {
    this.removeExitHandlers();
    await this.flushPoke();
    const client = this.client;
    if (client === undefined) return undefined;
    return client.stop(this.started ? flushMs : 0);
  }

  /** Pokes soon, once for any number of emits in between; the timer never holds the host. */
  private schedulePoke(): void {
    this.pokePending = true;
    if (this.pokeTimer !== undefined || this.poking !== undefined) return;
    this.pokeTimer = setTimeout(() => void this.flushPoke(), 0);
    this.pokeTimer.unref();
  }

  /** Sends the pending poke (if any) and waits for it, and for one already under way. */
  private async flushPoke(): Promise<void> {
    clearTimeout(this.pokeTimer);
    this.pokeTimer = undefined;
    while (this.poking !== undefined || this.pokePending) {
      if (this.poking === undefined) {
        this.pokePending = false;
        this.poking = pokeSyncer({ home: this.options.home, env: this.syncerEnv(), trace: this.trace });
      }
      await this.poking; // how it went is traced (EVENTS_DEBUG=1); a lost poke only delays delivery
      this.poking = undefined;
    }
  }

  /** Server and token given to this emitter in code reach a syncer it starts; those from env and files it finds itself. */
  private syncerEnv(): Record<string, string> {
    const { serverUrl, token, source } = this.server();
    return {
      ...(source.serverUrl === "options" && serverUrl !== undefined ? { EVENTS_SERVER_URL: serverUrl } : {}),
      ...(source.token === "options" && token !== undefined ? { EVENTS_TOKEN: token } : {}),
    };
  }

  private user(): UserConfig {
    this.userConfig ??= readUserConfig(this.options.home);
    return this.userConfig;
  }

  private ensureClient(): SyncClient | undefined {
    if (this.client !== undefined) return this.client;
    const { serverUrl, token } = this.server();
    if (serverUrl === undefined || token === undefined) return undefined;
    this.client = new SyncClient({
      ...this.options.client,
      trace: this.trace,
      outbox: this.options.outbox,
      serverUrl,
      token,
      observe: this.options.observe,
    });
    for (const [name, listener] of this.listeners.splice(0)) this.client.events.on(name, listener as never);
    return this.client;
  }

  /**
   * `beforeExit` fires when the host has nothing left to do: deliver for at most the
   * flush bound, then let it go. `exit` (synchronous) gives back claimed rows, so the
   * next process need not wait for their leases to expire.
   */
  private installExitHandlers(): void {
    if (this.exitHandlers !== undefined) return;
    let flushed = false;
    const beforeExit = (): void => {
      if (flushed) return;
      flushed = true;
      void this.close();
    };
    // Handed to the syncer, nothing here is in flight: exit only needs the last poke, which beforeExit sends.
    const exit = (): void => this.client?.releaseInFlight();
    this.exitHandlers = { beforeExit, exit };
    process.on("beforeExit", beforeExit);
    process.on("exit", exit);
  }

  private removeExitHandlers(): void {
    if (this.exitHandlers === undefined) return;
    process.off("beforeExit", this.exitHandlers.beforeExit);
    process.off("exit", this.exitHandlers.exit);
    this.exitHandlers = undefined;
  }
}

function safeSize(outbox: Outbox): number {
  try {
    return outbox.size();
  } catch {
    return 0;
  }
}
