/**
 * Where the server and token come from, in order: the emitter's options, then
 * `EVENTS_SERVER_URL` / `EVENTS_TOKEN`, then `<home>/credentials.json` (mode 0600:
 * server URL, token, team slug), then `server_url` of `<home>/config.yaml`.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../identity/atomic-write.js";

export interface Credentials {
  server_url: string;
  token: string;
  team_slug?: string;
}

export const CREDENTIALS_FILE = "credentials.json";

export function credentialsPath(home: string): string {
  return join(home, CREDENTIALS_FILE);
}

/** The saved credentials, or undefined when there are none (or they cannot be read). */
export function readCredentials(home: string): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(credentialsPath(home), "utf8");
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<Credentials>;
    if (typeof value.server_url !== "string" || typeof value.token !== "string") return undefined;
    return {
      server_url: value.server_url,
      token: value.token,
      ...(typeof value.team_slug === "string" ? { team_slug: value.team_slug } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Saves credentials readable by the user only (0600), atomically. */
export function writeCredentials(home: string, credentials: Credentials): string {
  const path = credentialsPath(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Removes saved credentials; true when there were some. */
export function removeCredentials(home: string): boolean {
  try {
    rmSync(credentialsPath(home));
    return true;
  } catch {
    return false;
  }
}

export interface ServerSettings {
  serverUrl: string | undefined;
  token: string | undefined;
  /** Where each came from, for `events sync status`. */
  source: { serverUrl: "options" | "env" | "credentials" | "config" | "none"; token: "options" | "env" | "credentials" | "none" };
}

export interface ResolveServerInput {
  home: string;
  serverUrl?: string | undefined;
  token?: string | undefined;
  /** `server_url` of the user config, when read. */
  configServerUrl?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export function resolveServer(input: ResolveServerInput): ServerSettings {
  const env = input.env ?? process.env;
  const saved = readCredentials(input.home);
  const envUrl = nonEmpty(env["EVENTS_SERVER_URL"]);
  const envToken = nonEmpty(env["EVENTS_TOKEN"]);
  const serverUrl = input.serverUrl ?? envUrl ?? saved?.server_url ?? input.configServerUrl;
  const token = input.token ?? envToken ?? saved?.token;
  return {
    serverUrl,
    token,
    source: {
      serverUrl:
        input.serverUrl !== undefined ? "options" : envUrl !== undefined ? "env" : saved !== undefined ? "credentials" : input.configServerUrl !== undefined ? "config" : "none",
      token: input.token !== undefined ? "options" : envToken !== undefined ? "env" : saved !== undefined ? "credentials" : "none",
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
