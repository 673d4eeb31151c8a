/** A minimal typed emitter: `on` returns the function that removes the listener; a listener's throw never breaks the client. */

type Listener<T> = (payload: T) => void;

export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Whether anyone listens to `name` (lets the hot path skip building a payload). */
  has(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[Name]>)(payload);
      } catch (error) {
        // A listener's bug must not stop delivery; it is reported where the host can see it.
        reportListenerError(error);
      }
    }
  }
}

/** The browser's `reportError` (shown in the console, the page goes on); in Node, stderr. */
function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (report !== undefined) report(error);
  // eslint-disable-next-line no-console -- the host's bug, shown where it will be seen
  else console.error("@events/client: a listener threw:", error);
}
