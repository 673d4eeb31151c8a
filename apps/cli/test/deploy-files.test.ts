/**
 * The deployment files held to the CLI they run, since no image is built here (no
 * container daemon): the Dockerfile's CMD is started as written (with a temp dir for
 * its volume) and its HEALTHCHECK run against it; every flag the Dockerfile, the
 * compose files, the systemd unit and docs/self-hosting.md give `events serve` or
 * `events hub backup` is in that command's --help; every variable is one the hub
 * reads; every config they mount parses with loadHubConfig and means what they say
 * (a volume at its data_dir, cluster mode for the cluster's nodes).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HUB_ENV, hubOptionsFrom, loadHubConfig, resolveOptions, type HubOptions } from "@events/server";
import { runCli } from "./run-cli.js";
import { freePort, startServe, stopAll } from "./serve-process.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** YAML as the hub reads it: the server's own `yaml` (this package has none of its own). */
const { parse } = createRequire(join(ROOT, "packages/server/package.json"))("yaml") as { parse: (text: string, options: { merge: boolean }) => unknown };
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
/** The variables the hub reads: HUB_ENV's, the admin token and debug output. */
const HUB_VARIABLES = new Set([...Object.keys(HUB_ENV), "EVENTS_ADMIN_TOKEN", "EVENTS_DEBUG"]);

const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const flags: Record<string, Set<string>> = {};
beforeAll(async () => {
  for (const command of ["serve", "hub backup"]) {
    const help = await runCli([...command.split(" "), "--help"]);
    expect(help.code).toBe(0);
    flags[command] = new Set(help.stdout.match(/--[a-z][a-z-]*/g));
  }
});

/** The flags a command line gives `events serve` or `events hub backup`, with the command. */
function eventsCommands(text: string): Array<{ command: string; flags: string[]; line: string }> {
  const found = [];
  for (const line of text.split("\n")) {
    const match = /(?:events|bin\.js)"?,?\s*"?(serve|hub"?,?\s*"?backup)\b(.*)$/.exec(line);
    if (match === null) continue;
    const command = match[1]?.startsWith("hub") === true ? "hub backup" : "serve";
    found.push({ command, flags: match[2]?.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [], line });
  }
  return found;
}

// ---- the Dockerfile, read as Docker reads it ----

interface Instruction {
  readonly name: string;
  readonly args: string;
}

function instructions(text: string): Instruction[][] {
  const joined = text.replace(/\\\n/g, " ");
  const stages: Instruction[][] = [];
  for (const line of joined.split("\n")) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (match === null || line.trimStart().startsWith("#")) continue;
    const instruction = { name: match[1] as string, args: (match[2] as string).trim() };
    if (instruction.name === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const dockerfile = instructions(read("Dockerfile"));
const runtime = dockerfile.at(-1) ?? [];
const one = (name: string): string => {
  const found = runtime.filter((instruction) => instruction.name === name);
  expect(found, `one ${name} in the last stage`).toHaveLength(1);
  return (found[0] as Instruction).args;
};
const execForm = (args: string): string[] => JSON.parse(args.replace(/^(--\S+\s+)*CMD\s+/, "")) as string[];
/** Where the image puts deploy/hub.yaml. */
const configInImage = (): string => /^deploy\/hub\.yaml\s+(\S+)$/.exec(runtime.find((i) => i.name === "COPY" && i.args.startsWith("deploy/hub.yaml"))?.args ?? "")?.[1] ?? "";

function dockerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of runtime.filter((i) => i.name === "ENV")) {
    for (const [, key, value] of instruction.args.matchAll(/(\w+)=(\S+)/g)) env[key as string] = value as string;
  }
  return env;
}

describe("Dockerfile", () => {
  it("builds in a stage of its own from node:20-slim, with the pinned pnpm and the repo's own commands", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile) expect(stage[0]?.args).toMatch(/^node:20-slim\b/);
    const runs = (dockerfile[0] ?? []).filter((i) => i.name === "RUN").map((i) => i.args);
    // pnpm comes from package.json's packageManager, which is the README's pnpm.
    const pinned = (JSON.parse(read("package.json")) as { packageManager: string }).packageManager;
    expect(runs).toContain(`npm install -g "$(node -p 'require("./package.json").packageManager')"`);
    expect(spawnSync(process.execPath, ["-p", 'require("./package.json").packageManager'], { cwd: ROOT, encoding: "utf8" }).stdout.trim()).toBe(pinned);
    expect(read("README.md")).toContain(`npm install -g ${pinned} && pnpm install`);
    expect(runs).toContain("pnpm install --frozen-lockfile && pnpm build");
  });

  it("runs the hub as a non-root user with its data in a volume at the config's data_dir, on the port it exposes", async () => {
    expect(one("USER")).not.toMatch(/^(root|0)(:|$)/);
    const config = await loadHubConfig(join(ROOT, "deploy/hub.yaml"));
    expect(JSON.parse(one("VOLUME"))).toEqual([config.dataDir]);
    expect(Number(one("EXPOSE"))).toBe(resolveOptions({}, {}).port);
    const cmd = execForm(one("CMD"));
    expect(cmd).toEqual(["node", "apps/cli/dist/bin.js", "serve", "--config", configInImage()]);
    for (const flag of cmd.filter((arg) => arg.startsWith("--"))) expect(flags["serve"]).toContain(flag);
    for (const name of Object.keys(dockerEnv())) expect(HUB_VARIABLES).toContain(name);
  });

  it("starts as its CMD says, and its HEALTHCHECK passes while it runs and fails when it is gone", async () => {
    const data = mkdtempSync(join(tmpdir(), "events-docker-volume-"));
    dirs.push(data);
    const port = await freePort();
    // The CMD as written, from the image's WORKDIR (the repo root), its config where the image copies it from.
    const [node, ...argv] = execForm(one("CMD")).map((arg) => (arg === configInImage() ? join(ROOT, "deploy/hub.yaml") : arg));
    expect(node).toBe("node");
    expect(one("WORKDIR")).toBe("/app");
    // The image's environment, with a free port, this machine's loopback and a temp dir standing in for the volume.
    const env = { ...dockerEnv(), PORT: String(port), EVENTS_HOST: "127.0.0.1", EVENTS_DATA_DIR: data, EVENTS_ADMIN_TOKEN: "docker-admin-token-0123456789" };
    const hub = await startServe([], { argv, cwd: ROOT, env });
    expect(hub.url).toBe(`http://127.0.0.1:${port}`);
    expect(hub.output()).toContain(`datagrams  ${join(data, "events.sock")}`);
    expect(existsSync(join(data, "hub.db"))).toBe(true);

    const healthcheck = execForm(one("HEALTHCHECK"));
    expect(healthcheck[0]).toBe("node");
    const check = (): number | null => spawnSync(process.execPath, healthcheck.slice(1), { env: { PATH: process.env["PATH"] ?? "", PORT: String(port) }, timeout: 30_000 }).status;
    expect(check()).toBe(0);
    expect(await hub.stop()).toBe(0);
    expect(check()).toBe(1);
  });

  it("ignores what the build makes itself and local state (.dockerignore)", () => {
    const ignored = read(".dockerignore").split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    for (const entry of [".git", "**/node_modules", "**/dist", "**/.events-hub", "**/*.db"]) expect(ignored).toContain(entry);
  });
});

// ---- the compose files ----

type Service = {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
};

function compose(path: string): { services: Record<string, Service>; volumes?: Record<string, unknown> } {
  return parse(read(path), { merge: true }) as { services: Record<string, Service> };
}

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?error}, with `values` as the shell. */
function interpolate(value: string, values: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind: string | undefined, rest: string) => {
    const given = values[name];
    if (given !== undefined && given !== "") return given;
    if (kind === "?") throw new Error(`${name} must be set: ${rest}`);
    return kind === "-" ? rest : "";
  });
}

const SHELL = { EVENTS_ADMIN_TOKEN: "compose-admin-token-0123456789", POSTGRES_PASSWORD: "secret" };

/** What a hub service runs with: the file it mounts at the image's config path, under its environment. */
async function hubOf(service: Service): Promise<{ options: HubOptions; env: Record<string, string> }> {
  expect(resolve(ROOT, "deploy", service.build?.context ?? "")).toBe(resolve(ROOT));
  expect(existsSync(join(ROOT, service.build?.dockerfile ?? "-"))).toBe(true);
  const mount = (service.volumes ?? []).map((volume) => volume.split(":")).find(([, target]) => target === configInImage());
  expect(mount, "the config is mounted where the image reads it").toBeDefined();
  const file = await loadHubConfig(resolve(ROOT, "deploy", mount?.[0] ?? ""));
  const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), SHELL)]));
  for (const name of Object.keys(env)) expect(HUB_VARIABLES).toContain(name);
  for (const port of service.ports ?? []) expect(port.split(":").at(-1)).toBe(one("EXPOSE"));
  return { options: hubOptionsFrom({}, { ...dockerEnv(), ...env }, file), env };
}

describe("deploy/compose.yaml", () => {
  it("runs one hub from the Dockerfile with the config mounted where the image reads it, its data in a volume", async () => {
    const { services, volumes } = compose("deploy/compose.yaml");
    const hub = services["hub"] as Service;
    const { options } = await hubOf(hub);
    const store = resolveOptions(options, {}).store;
    expect(store).toMatchObject({ kind: "sqlite", file: join(String(options.dataDir), "hub.db") });
    const volume = (hub.volumes ?? []).map((entry) => entry.split(":")).find(([, target]) => target === options.dataDir);
    expect(volume?.[0] !== undefined && volume[0] in (volumes ?? {})).toBe(true);
    expect(JSON.parse(one("VOLUME"))).toEqual([options.dataDir]);
  });
});

describe("deploy/compose.cluster.yaml", () => {
  it("runs three nodes on one PostgreSQL and one Redis, each with its own node id and port", async () => {
    const { services } = compose("deploy/compose.cluster.yaml");
    const nodes = Object.entries(services).filter(([, service]) => service.build !== undefined);
    expect(nodes.map(([name]) => name)).toEqual(["hub-a", "hub-b", "hub-c"]);
    const postgres = services["postgres"]?.environment ?? {};
    const ids = new Set<string>();
    const ports = new Set<string>();
    for (const [, service] of nodes) {
      const { options, env } = await hubOf(service);
      const resolved = resolveOptions(options, {});
      expect(resolved.store).toMatchObject({
        kind: "postgres",
        url: `postgres://${postgres["POSTGRES_USER"]}:${SHELL.POSTGRES_PASSWORD}@postgres:5432/${postgres["POSTGRES_DB"]}`,
      });
      expect(resolved.cluster?.redisUrl).toBe("redis://redis:6379");
      expect(resolved.socketPath).toBe(false);
      expect(env["EVENTS_ADMIN_TOKEN"]).toBe(SHELL.EVENTS_ADMIN_TOKEN);
      ids.add(resolved.nodeId);
      for (const port of service.ports ?? []) ports.add(port.split(":").slice(0, -1).join(":"));
    }
    expect(ids.size).toBe(3);
    expect(ports.size).toBe(3);
    expect(() => interpolate(services["hub-a"]?.environment?.["EVENTS_ADMIN_TOKEN"] ?? "", {})).toThrow(/EVENTS_ADMIN_TOKEN must be set/);
  });
});

// ---- the systemd unit ----

function unit(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let section: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) sections[header[1] as string] = section = {};
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (setting !== null) section[setting[1] as string] = setting[2] as string;
  }
  return sections;
}

describe("deploy/systemd/events-hub.service", () => {
  const text = read("deploy/systemd/events-hub.service");
  const service = unit(text)["Service"] ?? {};

  it("runs events serve --config as a user of its own, restarts it on failure, reads the admin token from an EnvironmentFile", async () => {
    expect(service["User"]).toMatch(/^\w+$/);
    expect(service["User"]).not.toBe("root");
    expect(service["Restart"]).toBe("on-failure");
    expect(service["EnvironmentFile"]).toMatch(/^\//);
    expect(text).toMatch(/EVENTS_ADMIN_TOKEN=/);
    const [node, bin, command, ...args] = (service["ExecStart"] ?? "").split(/\s+/);
    expect(node).toMatch(/^\/.*\/node$/);
    expect(bin).toBe(join(service["WorkingDirectory"] ?? "", "apps/cli/dist/bin.js"));
    expect(command).toBe("serve");
    for (const flag of args.filter((arg) => arg.startsWith("--"))) expect(flags["serve"]).toContain(flag);
    expect(args.slice(0, 2)).toEqual(["--config", "/etc/events/hub.yaml"]);
    // Its StateDirectory is the data_dir of the config it names (deploy/hub.yaml installed there).
    const config = await loadHubConfig(join(ROOT, "deploy/hub.yaml"));
    expect(`/var/lib/${service["StateDirectory"]}`).toBe(config.dataDir);
  });

  it("is a unit systemd takes without a warning", (context) => {
    const verify = spawnSync("systemd-analyze", ["verify", join(ROOT, "deploy/systemd/events-hub.service")], { encoding: "utf8", timeout: 30_000 });
    // Part of Debian's systemd package; without it the checks above still hold the unit to the CLI.
    if (verify.error !== undefined) context.skip(`systemd-analyze could not run (${verify.error.message}): the unit's syntax is not verified`);
    expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: "" });
  });
});

// ---- every file together ----

describe("flags and variables across the deployment files and docs/self-hosting.md", () => {
  const files = ["Dockerfile", "deploy/compose.yaml", "deploy/compose.cluster.yaml", "deploy/systemd/events-hub.service", "deploy/hub.yaml", "docs/self-hosting.md"];

  it("give events serve and events hub backup only flags they have", () => {
    let seen = 0;
    for (const file of files) {
      for (const use of eventsCommands(read(file))) {
        seen++;
        for (const flag of use.flags) expect({ file, line: use.line, flag, known: flags[use.command]?.has(flag) }).toMatchObject({ known: true });
      }
    }
    expect(seen).toBeGreaterThan(5);
  });

  it("name only variables the hub reads", () => {
    for (const file of files) {
      for (const name of new Set(read(file).match(/\bEVENTS_[A-Z_]+\b|\bPORT\b(?==)/g))) {
        expect({ file, name, known: HUB_VARIABLES.has(name) || name === "PORT" }).toMatchObject({ known: true });
      }
    }
  });
});
