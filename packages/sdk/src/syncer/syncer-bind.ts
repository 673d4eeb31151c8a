/**
 * The one-syncer-per-home lock: binding `<home>/syncer.sock`. A socket file nobody
 * answers on was left by a killed syncer and is replaced, under a short lock file so
 * that two newcomers never both remove it and both listen.
 */
import { closeSync, openSync, rmSync, statSync } from "node:fs";
import { createConnection, type Server } from "node:net";

/** A lock file older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 5_000;

/** Whether a syncer answers on `path`; an answer is also a poke. */
export function syncerAnswers(path: string, message = "sync\n"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.on("connect", () => socket.end(message, () => resolve(true)));
    socket.on("error", () => resolve(false));
  });
}

function listen(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const failed = (error: NodeJS.ErrnoException): void => resolve(error);
    server.once("error", failed);
    server.listen(path, () => {
      server.off("error", failed);
      resolve(undefined);
    });
  });
}

/** Listens on `path`, or resolves `"taken"` when a live syncer already does (and has been poked). */
export async function bindSyncerSocket(server: Server, path: string): Promise<"bound" | "taken"> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const error = await listen(server, path);
    if (error === undefined) return "bound";
    if (error.code !== "EADDRINUSE") throw error;
    if (await syncerAnswers(path)) return "taken";
    const lock = `${path}.lock`;
    let fd: number;
    try {
      fd = openSync(lock, "wx");
    } catch {
      if (Date.now() - (safeMtime(lock) ?? Date.now()) > STALE_LOCK_MS) rmSync(lock, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
      continue;
    }
    try {
      if (!(await syncerAnswers(path))) rmSync(path, { force: true });
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
  return "taken";
}

function safeMtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
