// One measured receiver, in its own process (run by plain Node through tsx's loader;
// the measured span starts at the first event, after every module is loaded): connects to the hub, subscribes from
// the start of every stream and counts `count` events, with either a bare `ws` handler that only parses
// each frame's JSON (the floor) or @events/client. Prints the CPU time this process
// spent from the first event to the last, and the wall time.
import { performance } from "node:perf_hooks";

const [mode, url = "", token = "", countText] = process.argv.slice(2);
const count = Number(countText);
let received = 0;
let cpuStart: NodeJS.CpuUsage | undefined;
let wallStart = 0;

function first(): void {
  cpuStart = process.cpuUsage();
  wallStart = performance.now();
}

function done(): void {
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(`${JSON.stringify({ mode, received, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - wallStart })}\n`);
  process.exit(0);
}

if (mode === "bare") {
  const { default: WebSocket } = await import("ws");
  const { PROTOCOL_VERSION } = await import("@events/schema");
  const socket = new WebSocket(url.replace(/^http/, "ws") + "/api/v1/ws", { perMessageDeflate: false });
  socket.on("open", () => {
    socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token, client: "bench-bare" }));
    socket.send(JSON.stringify({ type: "subscribe", sub: "b", channel: "events", since: "" }));
  });
  socket.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { type: string };
    if (frame.type !== "message") return;
    if (received++ === 0) first();
    if (received === count) done();
  });
} else {
  const { createClient } = await import("@events/client");
  const client = createClient({ url, token, transport: mode === "client-sse" ? "sse" : "websocket", name: "bench-client" });
  client.subscribe("events", { since: "" }).on("event", () => {
    if (received++ === 0) first();
    if (received === count) done();
  });
  client.connect();
}
setTimeout(() => {
  process.stderr.write(`timed out with ${received} of ${count}\n`);
  process.exit(1);
}, 120_000).unref();
