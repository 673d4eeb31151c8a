/** What every bench section shares: run counts, the bench's processes, a hub publisher, pacing. */
import WebSocket from "ws";
import type { Envelope } from "@events/schema";
import { Child, now } from "./ipc.js";

export const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
export const SUBSCRIBERS = Number(process.env["BENCH_SUBSCRIBERS"] ?? 1_000);
export const TOKEN = "bench-admin-token";

/** A server process (bench/children/server.ts). */
export const server = (execArgv: string[] = []): Child => new Child(new URL("../children/server.ts", import.meta.url), { execArgv });
/** A subscribers process (bench/children/clients.ts). */
export const subscribers = (): Child => new Child(new URL("../children/clients.ts", import.meta.url));
/** A publisher process (bench/children/publisher.ts). */
export const publishers = (): Child => new Child(new URL("../children/publisher.ts", import.meta.url));

export const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** A `ws` client of the hub that publishes pre-serialised frames and counts acks (noting when each came). */
export async function publisher(port: number): Promise<{ socket: WebSocket; acks: () => number; ackedAt: readonly number[]; close: () => void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  const ackedAt: number[] = [];
  socket.on("message", (data: Buffer) => {
    if (data.subarray(0, 16).toString().includes('"ack"')) ackedAt.push(now());
  });
  await opened(socket);
  return { socket, acks: () => ackedAt.length, ackedAt, close: () => socket.close() };
}

export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
}

/**
 * Calls `send(index)` `count` times, `intervalMs` apart on a fixed schedule (open
 * loop: a late call does not push the next ones back); returns when each call began.
 */
export async function paced(count: number, intervalMs: number, send: (index: number) => void): Promise<number[]> {
  const sent: number[] = [];
  const started = now();
  for (let index = 0; index < count; index++) {
    const due = started + index * intervalMs;
    for (let wait = due - now(); wait > 0; wait = due - now()) await new Promise((resolve) => setTimeout(resolve, wait));
    sent.push(now());
    send(index);
  }
  return sent;
}

export function frames(events: readonly Envelope[], size: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < events.length; start += size) {
    out.push(JSON.stringify({ type: "publish", ref: `f${start}`, events: events.slice(start, start + size) }));
  }
  return out;
}

export async function waitUntil(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("bench step timed out");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
