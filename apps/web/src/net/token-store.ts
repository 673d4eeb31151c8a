/** The read token, pasted once and kept in this browser's localStorage (never sent anywhere but this hub). */

const KEY = "events.dashboard.token";

export function loadToken(storage: Pick<Storage, "getItem"> = localStorage): string | undefined {
  try {
    const token = storage.getItem(KEY);
    return token === null || token.trim() === "" ? undefined : token.trim();
  } catch {
    return undefined;
  }
}

export function saveToken(token: string, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(KEY, token.trim());
}

export function forgetToken(storage: Pick<Storage, "removeItem"> = localStorage): void {
  storage.removeItem(KEY);
}
