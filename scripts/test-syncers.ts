/**
 * The SDK's background syncers that tests start (through the SDK from source, or the
 * built `events`): found by the home on their command line, killed when a test ends.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Live syncer processes serving `home` (from /proc). */
export function syncerPids(home: string): number[] {
  return syncersWhere((served) => served === home);
}

/** Live syncer processes serving any home inside `dir`. */
export function syncerPidsUnder(dir: string): number[] {
  return syncersWhere((served) => served.startsWith(`${dir}/`));
}

function syncersWhere(serves: (home: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const at = args.indexOf("--home");
    const home = at >= 0 ? args[at + 1] : undefined;
    if (home !== undefined && serves(home) && args.some((arg) => /syncer(-main)?\.[jt]s$/.test(arg))) pids.push(Number(entry));
  }
  return pids;
}

export function killSyncers(homes: readonly string[]): void {
  for (const home of homes) syncerPids(home).forEach(killGone);
}

/** SIGKILLs the syncers serving any home inside `dir`; returns the pids it found. */
export function killSyncersUnder(dir: string): number[] {
  const pids = syncerPidsUnder(dir);
  pids.forEach(killGone);
  return pids;
}

/** SIGKILL, where a process that exited since /proc was read is not an error. */
function killGone(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
