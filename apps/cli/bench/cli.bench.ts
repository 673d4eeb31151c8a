/**
 * What a shell pays for `events emit` and `events send-event`, process start to exit,
 * with the hub up, against a bare `node -e 0` measured in the same run. Medians of
 * many runs, interleaved so that machine noise hits all three alike.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, report, type BenchRow } from "../../../scripts/bench-kit.js";

const RUNS = Number(process.env["BENCH_CLI_RUNS"] ?? 25);
const ADMIN = "bench-admin-token-0123456789abcdef";
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
if (!existsSync(bin)) throw new Error("run `pnpm build` first");

const scratch = mkdtempSync(join(tmpdir(), "events-cli-bench-"));
const port = await new Promise<number>((resolve) => {
  const server = createServer();
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
  });
});
const hub: ChildProcess = spawn(process.execPath, [bin, "serve", "--port", String(port), "--data-dir", join(scratch, "hub"), "--socket", join(scratch, "events.sock")], {
  env: { ...process.env, EVENTS_ADMIN_TOKEN: ADMIN, NO_COLOR: "1" },
  stdio: ["ignore", "pipe", "inherit"],
});
process.on("exit", () => {
  hub.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});
await new Promise<void>((resolve) => {
  let out = "";
  hub.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes("listening on")) resolve();
  });
});

const project = join(scratch, "project");
mkdirSync(project);
// NODE_EXTRA_CA_CERTS makes every Node process parse a CA bundle at start (35-40 ms
// here), the floor included, which would hide what `events` itself adds. turbo
// leaves it out of `pnpm bench`'s environment; run alone, this bench does the same.
const { NODE_EXTRA_CA_CERTS: _certs, ...inherited } = process.env;
const env = { ...inherited, EVENTS_HOME: join(scratch, "home"), EVENTS_SERVER_URL: `http://127.0.0.1:${port}`, EVENTS_TOKEN: ADMIN, NO_COLOR: "1" };
const uncached = { ...env, EVENTS_CODE_CACHE: "off" };
const time = (args: string[], environment: NodeJS.ProcessEnv = env): number => {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: project, env: environment, stdio: "ignore" });
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const emit = [bin, "wp", "status", "WP01", "--to", "planned", "--feature", "001-bench"];
const send = [bin, "send-event", "--target", "ui", "--type", "activity_log", "--payload", '{"message":"bench","level":"info"}'];
time(["-e", "0"]);
time(emit);
time(send);
const bare: number[] = [];
const emits: number[] = [];
const sends: number[] = [];
const coldEmits: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(time(["-e", "0"]));
  emits.push(time(emit));
  sends.push(time(send));
  coldEmits.push(time(emit, uncached));
}
const rows: BenchRow[] = [
  { name: "node -e 0 (the floor)", value: median(bare), unit: "ms" },
  { name: "events emit (wp status), hub up", value: median(emits), unit: "ms", baseline: "x node -e 0 (lower is better)", ratio: median(emits) / median(bare), target: "<= 2.0x node", pass: median(emits) / median(bare) <= 2.0 },
  { name: "events send-event, hub up, delivered live", value: median(sends), unit: "ms", baseline: "x node -e 0 (lower is better)", ratio: median(sends) / median(bare), target: "<= 2.0x node", pass: median(sends) / median(bare) <= 2.0 },
  { name: "  events emit without the code cache (EVENTS_CODE_CACHE=off)", value: median(coldEmits), unit: "ms", baseline: "x node -e 0 (lower is better)", ratio: median(coldEmits) / median(bare) },
];
report("@events/cli", rows);
// The hub child's pipes keep the event loop alive: stop it, so the benchmark ends.
hub.kill("SIGKILL");
