/** Request/response over a child process's IPC channel, for the bench's processes. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface Message {
  readonly id?: number;
  readonly cmd: string;
  readonly [key: string]: unknown;
}

export class Child {
  readonly process: ChildProcess;
  #next = 1;
  #pending = new Map<number, (reply: Message) => void>();

  constructor(script: URL, options: { execArgv?: string[] } = {}) {
    this.process = fork(fileURLToPath(script), [], {
      execArgv: ["--import", "tsx", ...(options.execArgv ?? [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.process.on("message", (message: Message) => {
      const resolve = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (resolve !== undefined) {
        this.#pending.delete(message.id!);
        resolve(message);
      }
    });
  }

  request<T extends Message = Message>(message: Message): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) => (reply.cmd === "error" ? reject(new Error(String(reply["message"]))) : resolve(reply as T)));
      this.process.send({ ...message, id });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill();
    await exited;
  }
}

/** In a child: answers each request with what `handle` returns. */
export function serve(handle: (message: Message) => Promise<Record<string, unknown>> | Record<string, unknown>): void {
  process.on("message", (message: Message) => {
    Promise.resolve()
      .then(() => handle(message))
      .then(
        (reply) => process.send?.({ ...reply, cmd: "ok", id: message.id }),
        (error: unknown) => process.send?.({ cmd: "error", id: message.id, message: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.on("disconnect", () => process.exit(0));
}

/** Absolute high-resolution time in ms, comparable across processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A string field of a message, or `fallback`. */
export function text(message: Message, key: string, fallback = ""): string {
  const value = message[key];
  return typeof value === "string" ? value : fallback;
}
