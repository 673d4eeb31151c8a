/**
 * What every package's benchmark shares: medians of several runs, a printed table,
 * and rows written to `bench-results/<package>.json` for the root report
 * (`pnpm bench`), which prints one table for the whole workspace.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface BenchRow {
  /** What is measured, e.g. "validate WPStatusChanged". */
  name: string;
  /** The median of the runs. */
  value: number;
  unit: string;
  /** What it is compared with, e.g. "Ajv on a TypeBox union". */
  baseline?: string;
  /** value / baseline (or baseline / value for lower-is-better), > 1 is better. */
  ratio?: number;
  /** The target, in words, e.g. ">= 2,000,000/s". */
  target?: string;
  pass?: boolean;
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const RESULTS_DIR = process.env["BENCH_RESULTS_DIR"] ?? join(ROOT, "bench-results");

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `fn` `runs` times and returns the median of what it returns. */
export async function medianOf(runs: number, fn: () => number | Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await fn());
  return median(values);
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function renderTable(title: string, rows: readonly BenchRow[]): string {
  const header = ["measure", "median", "unit", "vs", "ratio", "target", "ok"];
  const body = rows.map((row) => [
    row.name,
    formatNumber(row.value),
    row.unit,
    row.baseline ?? "",
    row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}x`,
    row.target ?? "",
    row.pass === undefined ? "" : row.pass ? "yes" : "NO",
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 1 || i === 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
  return [`## ${title}`, line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line), ""].join("\n");
}

/** Prints the package's table and saves its rows for the root report. */
export function report(packageName: string, rows: readonly BenchRow[]): void {
  process.stdout.write(`${renderTable(packageName, rows)}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${packageName.replace(/[^a-z0-9-]/gi, "_")}.json`);
  writeFileSync(file, `${JSON.stringify({ package: packageName, rows, at: new Date().toISOString() }, null, 2)}\n`);
}
