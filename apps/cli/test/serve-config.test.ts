/**
 * `events serve --config hub.yaml`, the built binary: the hub runs with the file's
 * settings; the environment overrides the file and a flag overrides both; a bad file
 * exits 2 before anything starts, naming the key.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { freePort, startServe, stopAll } from "./serve-process.js";

const ADMIN = "serve-config-admin-token-0123456789";
const dirs: string[] = [];
/** This machine's own hub settings, if any, kept out (an empty value counts as unset). */
const UNSET = { PORT: "", EVENTS_DATA_DIR: "", EVENTS_DATABASE_URL: "", EVENTS_REDIS_URL: "" };

afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "events-serve-config-")));
  dirs.push(dir);
  return dir;
}

function configIn(dir: string, text: string): string {
  const file = join(dir, "hub.yaml");
  writeFileSync(file, text);
  return file;
}

async function json(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

describe("events serve --config", () => {
  it("runs the hub with the file's settings, paths taken from the file's directory", async () => {
    const dir = temp();
    const port = await freePort();
    const file = configIn(dir, `port: ${port}\ndata_dir: ./store\nnode_id: from-file\nsocket_path: false\nlimits:\n  max_frame_bytes: 2048\n`);
    // Run from elsewhere: the data dir is still next to the file.
    const hub = await startServe(["--config", file], { cwd: temp(), env: { EVENTS_ADMIN_TOKEN: ADMIN } });
    expect(hub.url).toBe(`http://127.0.0.1:${port}`);
    expect(hub.output()).toContain(`config     ${file}`);
    expect(hub.output()).toContain("datagrams  off");
    expect(await json(`${hub.url}/api/v1/limits`)).toMatchObject({ max_frame_bytes: 2048, max_events_per_batch: 1000 });
    expect(await json(`${hub.url}/healthz`)).toMatchObject({ status: "ok", node_id: "from-file" });
    expect(existsSync(join(dir, "store", "hub.db"))).toBe(true);
    expect(await hub.stop()).toBe(0);
  });

  it("takes the environment over the file, and a flag over both", async () => {
    const dir = temp();
    const [filePort, envPort, flagPort] = [await freePort(), await freePort(), await freePort()];
    const file = configIn(dir, `port: ${filePort}\nnode_id: from-file\ndata_dir: ./store\nsocket_path: false\nlimits:\n  max_events_per_batch: 7\n`);
    const env = { EVENTS_ADMIN_TOKEN: ADMIN, PORT: String(envPort), EVENTS_NODE_ID: "from-env" };

    const envWins = await startServe(["--config", file], { env });
    expect(envWins.url).toBe(`http://127.0.0.1:${envPort}`);
    expect(await json(`${envWins.url}/healthz`)).toMatchObject({ node_id: "from-env" });
    await envWins.stop();

    const flagWins = await startServe(["--config", file, "--port", String(flagPort), "--node-id", "from-flag"], { env });
    expect(flagWins.url).toBe(`http://127.0.0.1:${flagPort}`);
    expect(await json(`${flagWins.url}/healthz`)).toMatchObject({ node_id: "from-flag" });
    // What neither flag nor environment sets comes from the file; the rest is the default.
    expect(await json(`${flagWins.url}/api/v1/limits`)).toMatchObject({ max_events_per_batch: 7, max_frame_bytes: 1_048_576 });
  });

  it.each([
    ["a bad value", "limits:\n  max_frame_bytes: x\n", ['hub.yaml: limits.max_frame_bytes: expected a positive integer, received "x" (line 2)']],
    ["an unknown key", "port: 8787\nheartbeat: 100\n", ["hub.yaml: heartbeat: unknown key; did you mean heartbeat_ms? (line 2)"]],
    ["several problems at once", "port: -1\nsqlite_synchronous: half\n", ["hub.yaml: port: expected an integer from 0 to 65535, received -1 (line 1)", 'hub.yaml: sqlite_synchronous: expected one of "normal", "full", received "half" (line 2)']],
    ["YAML that does not parse", "port: 1\nport: 2\n", ["hub.yaml: expected valid YAML, received Map keys must be unique (line 2)"]],
    ["settings the hub cannot run with together", "redis_url: redis://127.0.0.1:6379\n", ["redisUrl needs a PostgreSQL databaseUrl"]],
  ])("exits 2 on %s, naming the key, and starts nothing", async (_what, text, messages) => {
    const dir = temp();
    configIn(dir, text);
    const result = await runCli(["serve", "--config", "hub.yaml", "--port", "0"], { cwd: dir, env: UNSET });
    expect(result.code).toBe(2);
    for (const message of messages) expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("hint:");
    expect(result.stdout).not.toContain("listening");
    expect(existsSync(join(dir, ".events-hub"))).toBe(false);
  });

  it("exits 2 when the file is not there", async () => {
    const result = await runCli(["serve", "--config", "missing.yaml"], { cwd: temp(), env: UNSET });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing.yaml: expected a readable YAML file, received no such file");
    expect(result.stderr).toContain("hint: check the path given to --config");
  });
});
