/**
 * Debian's nginx running deploy/nginx/events-hub.conf in front of an upstream the
 * test chooses. The shipped file is read as it is and only three strings change,
 * each found exactly once or the start fails: the hub's address, the listen port
 * and the log directory (a test must not write to /var/log/nginx). The outer
 * nginx.conf is Debian's http block as a fresh install has it, and nginx runs in
 * the foreground as the current user with its pid, logs and temp files in a
 * directory of its own, removed by `stop()`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@events/server/testing";
import { vi } from "vitest";

export const NGINX = "/usr/sbin/nginx";
export const SHIPPED_CONF = fileURLToPath(new URL("../../../../deploy/nginx/events-hub.conf", import.meta.url));

/** Why nginx cannot run here, or undefined when it can. */
export const nginxMissing: string | undefined = existsSync(NGINX)
  ? undefined
  : `Debian's nginx is not installed at ${NGINX} (apt-get install nginx)`;

/** Skips the test with a message naming nginx, or fails it on CI (where .ci/run installs it). */
export function requireNginx(context: { skip: (note?: string) => void }): void {
  if (nginxMissing === undefined) return;
  if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${nginxMissing}; CI requires it`);
  process.stderr.write(`skipped: ${nginxMissing}\n`);
  context.skip(nginxMissing);
}

export { freePort };

export interface Proxy {
  /** `http://127.0.0.1:<port>` of nginx. */
  readonly url: string;
  /** The same address with `ws://`. */
  readonly wsUrl: string;
  /** The site's access log as written so far. */
  accessLog(): string;
  /** nginx's error log and its own output so far. */
  output(): string;
  /** Fast shutdown (SIGTERM), then the directory is removed. */
  stop(): Promise<void>;
}


/** The shipped file with its three deployment-specific strings swapped. */
export function localisedConf(swaps: { upstream: string; port: number; logDir: string }): string {
  let text = readFileSync(SHIPPED_CONF, "utf8");
  for (const [from, to] of [
    ["server 127.0.0.1:8787;", `server ${swaps.upstream};`],
    ["listen 80;", `listen 127.0.0.1:${swaps.port};`],
    ["/var/log/nginx/", `${swaps.logDir}/`],
  ] as const) {
    const found = text.split(from).length - 1;
    if (found !== 1) throw new Error(`${SHIPPED_CONF}: expected "${from}" once, found it ${found} times; update the test's swaps`);
    text = text.replace(from, to);
  }
  return text;
}

function nginxConf(dir: string): string {
  const temp = (name: string): string => join(dir, "tmp", name);
  // A root master would hand the workers to `nobody`, who cannot enter this 0700 directory.
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}worker_processes 1;
events { worker_connections 256; }
http {
    # Debian's /etc/nginx/nginx.conf http block, as installed.
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${join(dir, "access.log")};
    gzip on;
    # An operator who compresses all text: the SSE location must stream regardless.
    gzip_types text/event-stream application/json;
    # Temp files here, not under /var/lib/nginx.
    client_body_temp_path ${temp("body")};
    proxy_temp_path ${temp("proxy")};
    fastcgi_temp_path ${temp("fastcgi")};
    uwsgi_temp_path ${temp("uwsgi")};
    scgi_temp_path ${temp("scgi")};
    include ${join(dir, "events-hub.conf")};
}
`;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts nginx with the shipped site proxying to `upstream` (`host:port`); resolves once it accepts connections. */
export async function startProxy(upstream: string): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), "events-nginx-"));
  mkdirSync(join(dir, "tmp"));
  const port = await freePort();
  writeFileSync(join(dir, "events-hub.conf"), localisedConf({ upstream, port, logDir: dir }));
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir));
  const globals = `daemon off; pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};`;
  const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", globals], { stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  child.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const read = (name: string): string => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : "");
  const output = (): string => `${printed}${read("error.log")}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const early = exited.then(() => {
      throw new Error(`nginx exited ${child.exitCode}: ${output()}`);
    });
    const ready = vi.waitFor(
      async () => {
        if (!(await reachable(port))) throw new Error(`nginx does not accept on ${port} yet: ${output()}`);
      },
      { timeout: 15_000, interval: 20 },
    );
    await Promise.race([ready, early]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, accessLog: () => read("events-hub.access.log"), output, stop };
}
