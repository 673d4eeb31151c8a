/**
 * Pins a bench process (all its threads) to one CPU with `taskset`, the way the
 * issue's figures were taken: server on one core, load on the other. Only where
 * `taskset` exists and there are two CPUs or more; `BENCH_PIN=0` turns it off.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

export const PINNING = process.env["BENCH_PIN"] !== "0" && process.platform === "linux" && availableParallelism() >= 2 && spawnSync("taskset", ["-V"]).status === 0;

/** Pins `pid` to `cpu` when PINNING; does nothing otherwise. */
export function pin(pid: number | undefined, cpu: number): void {
  if (!PINNING || pid === undefined) return;
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}
