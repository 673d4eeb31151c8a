/**
 * `events auth login`: checks a token against the hub (an empty batch, which a valid
 * write token is answered 200 for and any other 401/403) before saving it, so a typo
 * never becomes a queue that silently waits.
 */
import { HttpTransport } from "./http-transport.js";
import { removeCredentials, writeCredentials } from "./credentials.js";
import { SyncError } from "./sync-error.js";

export interface LoginInput {
  home: string;
  serverUrl: string;
  token: string;
  teamSlug?: string;
  /** Milliseconds for the check. @default 10_000 */
  timeoutMs?: number;
}

export interface LoginResult {
  serverUrl: string;
  /** Where the credentials were saved (mode 0600). */
  path: string;
}

/** Checks the token, then saves the credentials. Throws a SyncError (auth, network, server) with a hint. */
export async function login(input: LoginInput): Promise<LoginResult> {
  let url: URL;
  try {
    url = new URL(input.serverUrl);
  } catch {
    throw new SyncError("network", `"${input.serverUrl}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SyncError("network", `the server URL must be http(s), got ${url.protocol}`);
  const serverUrl = url.origin;
  const http = new HttpTransport({ serverUrl, token: input.token, timeoutMs: input.timeoutMs ?? 10_000 });
  await http.limits();
  await http.publish([]);
  const path = writeCredentials(input.home, {
    server_url: serverUrl,
    token: input.token,
    ...(input.teamSlug === undefined ? {} : { team_slug: input.teamSlug }),
  });
  return { serverUrl, path };
}

/** Removes the saved credentials; true when there were some. */
export function logout(home: string): boolean {
  return removeCredentials(home);
}
