/**
 * Keeps SQLite's WAL checkpoints (the only step that waits on fsync) off the event
 * loop: the hub's connection runs with `wal_autocheckpoint = 0`, and a worker
 * thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` on a timer.
 * A passive checkpoint never blocks the writer, so a commit never waits for the
 * disk to flush. A checkpoint that fails (a full disk) is tried again on the next
 * tick; only if the worker itself dies does the hub's connection checkpoint again.
 */
import { Worker } from "node:worker_threads";

export interface CheckpointerOptions {
  /** The database file. */
  readonly file: string;
  /** How often to checkpoint, in milliseconds. */
  readonly intervalMs: number;
  /** Called if the worker dies, so the caller can restore automatic checkpoints. */
  readonly onFailure: (error: unknown) => void;
  /** Called when one checkpoint fails (the worker goes on and tries again next tick). @default ignore */
  readonly onCheckpointError?: (error: Error) => void;
}

// The worker is plain CommonJS evaluated from a string, resolving better-sqlite3
// from this module's location, so it runs the same from src (tests) and dist.
const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
const { createRequire } = require("node:module");
const Database = createRequire(workerData.from)("better-sqlite3");
const db = new Database(workerData.file);
db.pragma("busy_timeout = 1000");
const timer = setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (error) { parentPort.postMessage({ error: String(error) }); }
}, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message === "stop") {
    clearInterval(timer);
    try { db.pragma("wal_checkpoint(PASSIVE)"); } finally { db.close(); }
    parentPort.postMessage("stopped");
  }
});
`;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  #stopped = false;

  constructor(options: CheckpointerOptions) {
    this.#worker = new Worker(WORKER, { eval: true, workerData: { file: options.file, intervalMs: options.intervalMs, from: import.meta.url } });
    this.#worker.unref();
    this.#worker.on("error", (error) => {
      if (!this.#stopped) options.onFailure(error);
    });
    this.#worker.on("exit", (code) => {
      if (!this.#stopped) options.onFailure(new Error(`the checkpoint worker exited (${code})`));
    });
    this.#worker.on("message", (message: unknown) => {
      if (typeof message === "object" && message !== null && "error" in message) options.onCheckpointError?.(new Error(String(message.error)));
    });
  }

  /** Runs a last checkpoint and ends the worker. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const stopped = new Promise<void>((resolve) => {
      this.#worker.on("message", (message) => message === "stopped" && resolve());
      this.#worker.once("exit", () => resolve());
    });
    this.#worker.postMessage("stop");
    await stopped;
    await this.#worker.terminate();
  }
}
