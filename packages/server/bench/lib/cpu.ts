/**
 * CPU placement and accounting for the bench's processes. `pin` puts a process (all
 * its threads) on one CPU with `taskset`, the way the figures were taken:
 * server on one core, load on the other; only where `taskset` exists and there are
 * two CPUs or more (`BENCH_PIN=0` turns it off). `busyMs` is how long the whole
 * machine has been busy, so a section can say how much else ran during a run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

export const PINNING = process.env["BENCH_PIN"] !== "0" && process.platform === "linux" && availableParallelism() >= 2 && spawnSync("taskset", ["-V"]).status === 0;

/** Pins `pid` to `cpu` when PINNING; does nothing otherwise. */
export function pin(pid: number | undefined, cpu: number): void {
  if (!PINNING || pid === undefined) return;
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

/**
 * CPU time the machine has spent busy since boot, all CPUs, in ms. On Linux from
 * /proc/stat, counting softirq (where loopback TCP is processed) and steal (other
 * tenants of the host); elsewhere from os.cpus(), which has neither.
 */
export function busyMs(): number {
  if (process.platform === "linux") {
    // "cpu  user nice system idle iowait irq softirq steal ...", in USER_HZ (100/s) ticks.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync("/proc/stat", "latin1").slice(0, 200).split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) * 10;
  }
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}
