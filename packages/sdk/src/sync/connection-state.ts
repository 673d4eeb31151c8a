/**
 * The sync client's named states and its typed event map. Every transition says
 * why, so `events sync status` and a dashboard can explain what the client is doing.
 */

export type ConnectionState =
  /** Not started, or stopped. */
  | "idle"
  /** Opening the WebSocket and waiting for the hub's welcome. */
  | "connecting"
  /** Publishing over the WebSocket with per-event acks. */
  | "connected"
  /** The hub cannot be reached; retrying with backoff. Events stay queued. */
  | "offline"
  /** The WebSocket is refused or keeps failing: sending HTTP batches instead. */
  | "batch"
  /** The hub refused the token. Nothing is sent until the credentials change. */
  | "unauthenticated";

export interface SyncProgress {
  synced: number;
  duplicates: number;
  rejected: number;
  deadLettered: number;
  /** Events still waiting in the outbox. */
  remaining: number;
}

export interface SyncEventMap {
  /** The state changed; `reason` says why. */
  state: { state: ConnectionState; previous: ConnectionState; reason: string };
  /** A batch was answered. */
  batch: SyncProgress & { transport: "ws" | "http"; size: number };
  /** Something failed; the client goes on (or waits for new credentials). */
  error: { errorClass: "schema" | "auth" | "server" | "network"; message: string; hint: string };
}

type Listener<T> = (payload: T) => void;

/** A minimal typed emitter: no inheritance, listeners never break the client. */
export class TypedEvents<Map extends object> {
  private readonly listeners = new Map<keyof Map, Set<Listener<never>>>();

  on<Name extends keyof Map>(name: Name, listener: Listener<Map[Name]>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    return () => set.delete(listener);
  }

  emit<Name extends keyof Map>(name: Name, payload: Map[Name]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<Map[Name]>)(payload);
      } catch {
        // A listener's bug must not stop delivery.
      }
    }
  }
}
