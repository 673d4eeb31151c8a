/**
 * The rates bench's subscribers as a C program (bench/native/subscribers.c),
 * compiled with the machine's `cc` when the bench starts, behind the same requests
 * as the Node clients process (children/clients.ts): open, track, collect, close.
 * Where there is no C compiler, or with `BENCH_NATIVE=0`, the bench uses the Node
 * clients and says so. The arrivals come back in a file, in CLOCK_MONOTONIC ms,
 * and are moved onto lib/ipc `now` here: Node's high-resolution clock is the same
 * CLOCK_MONOTONIC, so one offset taken in this process does it.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { summariseArrivals, type DeliverySummary } from "./deliveries.js";
import { now, text, type Message } from "./ipc.js";

const SOURCE = fileURLToPath(new URL("../native/subscribers.c", import.meta.url));

export class NativeSubscribers {
  readonly process: ChildProcessByStdio<Writable, Readable, null>;
  readonly #dir: string;
  #lines: string[] = [];
  #waiting: ((line: string) => void)[] = [];
  #buffered = "";
  /** Requests run one at a time, in order: the program answers each before reading the next. */
  #queue: Promise<unknown> = Promise.resolve();
  #tracked: { count: number } | undefined;

  private constructor(binary: string, dir: string) {
    this.#dir = dir;
    this.process = spawn(binary, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.process.stdout.setEncoding("latin1");
    this.process.stdout.on("data", (chunk: string) => {
      this.#buffered += chunk;
      for (let end = this.#buffered.indexOf("\n"); end >= 0; end = this.#buffered.indexOf("\n")) {
        const line = this.#buffered.slice(0, end);
        this.#buffered = this.#buffered.slice(end + 1);
        const waiter = this.#waiting.shift();
        if (waiter === undefined) this.#lines.push(line);
        else waiter(line);
      }
    });
  }

  /** Compiles and starts the program; undefined (with why) when it cannot be built here. */
  static async start(): Promise<NativeSubscribers | string> {
    if (process.env["BENCH_NATIVE"] === "0") return "BENCH_NATIVE=0";
    if (process.platform !== "linux") return "not Linux (the program uses epoll)";
    const dir = mkdtempSync(join(tmpdir(), "events-bench-native-"));
    const binary = join(dir, "subscribers");
    const built = spawnSync(process.env["CC"] ?? "cc", ["-O2", "-o", binary, SOURCE], { encoding: "utf8" });
    if (built.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      const why = built.error?.message ?? built.stderr.trim().split("\n")[0];
      return `no C compiler could build it (${why === undefined || why === "" ? `exit ${built.status}` : why})`;
    }
    const subscribers = new NativeSubscribers(binary, dir);
    const ready = await subscribers.#line();
    if (ready !== "ready") throw new Error(`the native subscribers said ${ready}`);
    return subscribers;
  }

  #line(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #command(line: string): Promise<string[]> {
    const run = this.#queue.then(async () => {
      this.process.stdin.write(`${line}\n`);
      const reply = await this.#line();
      if (!reply.startsWith("ok")) throw new Error(`native subscribers, ${line.split(" ")[0]}: ${reply}`);
      return reply.split(" ").slice(1);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The requests of children/clients.ts that the rates bench sends. */
  async request<T extends Message = Message>(message: Message): Promise<T> {
    const name = text(message, "name", "default");
    switch (message.cmd) {
      case "open": {
        const count = Number(message["count"]);
        await this.#command(`open ${name} ${text(message, "kind")} ${Number(message["port"])} ${count} ${text(message, "token") || "-"}`);
        return { cmd: "ok" } as unknown as T;
      }
      case "track": {
        const count = Number(message["count"]);
        await this.#command(`track ${name} ${text(message, "prefix")} ${count}`);
        this.#tracked = { count };
        return { cmd: "ok" } as unknown as T;
      }
      case "collect": {
        const tracked = this.#tracked;
        if (tracked === undefined) throw new Error("nothing tracked");
        const path = join(this.#dir, "arrivals");
        const [, userUs, systemUs, wallMs] = (await this.#command(`collect ${Number(message["timeoutMs"] ?? 30_000)} ${path}`)).map(Number);
        const raw = readFileSync(path);
        const arrivals = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        // CLOCK_MONOTONIC ms onto lib/ipc `now` (the same clock, from another origin).
        const offset = now() - Number(process.hrtime.bigint()) / 1e6;
        for (let cell = 0; cell < arrivals.length; cell++) {
          const arrival = arrivals[cell]!;
          if (arrival !== 0) arrivals[cell] = arrival + offset;
        }
        this.#tracked = undefined;
        const summary: DeliverySummary = summariseArrivals(arrivals, tracked.count, message["sent"] as number[], { userMs: userUs! / 1000, systemMs: systemUs! / 1000, wallMs: wallMs! });
        return { cmd: "ok", ...summary } as unknown as T;
      }
      case "close":
        await this.#command(`close ${name}`);
        return { cmd: "ok" } as unknown as T;
      default:
        throw new Error(`the native subscribers do not take ${message.cmd}`);
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process.once("exit", resolve));
      this.process.stdin.end();
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
