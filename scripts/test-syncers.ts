/**
 * The SDK's background syncers that tests start (through the SDK from source, or the
 * built `events`): found by the home on their command line, killed when a test ends.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Live syncer processes serving `home` (from /proc). */
export function syncerPids(home: string): number[] {
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
    if (at >= 0 && args[at + 1] === home && args.some((arg) => /syncer(-main)?\.[jt]s$/.test(arg))) pids.push(Number(entry));
  }
  return pids;
}

export function killSyncers(homes: readonly string[]): void {
  for (const home of homes) for (const pid of syncerPids(home)) process.kill(pid, "SIGKILL");
}
