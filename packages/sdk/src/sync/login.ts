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
  const serverUrl = await checkHub(input);
  const path = writeCredentials(input.home, {
    server_url: serverUrl,
    token: input.token,
    ...(input.teamSlug === undefined ? {} : { team_slug: input.teamSlug }),
  });
  return { serverUrl, path };
}

export interface CheckInput {
  serverUrl: string;
  token: string;
  /** Milliseconds for the check. @default 10_000 */
  timeoutMs?: number;
}

/**
 * Asks the hub whether it is there and takes this token for writing; resolves with
 * the hub's origin. Throws a SyncError (auth, network, server) with a hint.
 */
export async function checkHub(input: CheckInput): Promise<string> {
  let url: URL;
  try {
    url = new URL(input.serverUrl);
  } catch {
    throw new SyncError("network", `"${input.serverUrl}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SyncError("network", `the server URL must be http(s), got ${url.protocol}`);
  const serverUrl = url.origin;
  const http = new HttpTransport({ serverUrl, token: input.token, timeoutMs: input.timeoutMs ?? 10_000 });
  // The transport's sockets never hold the process open; an explicit login does.
  const hold = setInterval(() => undefined, 1 << 30);
  try {
    await http.limits();
    await http.publish([]);
  } finally {
    clearInterval(hold);
  }
  return serverUrl;
}

/** Removes the saved credentials; true when there were some. */
export function logout(home: string): boolean {
  return removeCredentials(home);
}
