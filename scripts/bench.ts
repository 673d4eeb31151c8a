// `pnpm bench`: every package's benchmarks, one after another (they share two
// cores), then one table of everything. Each package writes its rows with
// scripts/bench-kit.ts; this only runs them and joins the results.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderTable, type BenchRow } from "./bench-kit.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const results = join(root, "bench-results");
rmSync(results, { recursive: true, force: true });
const filters = process.argv.slice(2).flatMap((name) => ["--filter", name]);
// --continue: a package whose bench fails still leaves every other package's table.
const run = spawnSync("pnpm", ["exec", "turbo", "run", "bench", "--concurrency=1", "--continue", "--output-logs=full", ...filters], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, BENCH_RESULTS_DIR: results },
});
if (!existsSync(results)) {
  process.stderr.write("no benchmark wrote results\n");
  process.exit(run.status ?? 1);
}
let failed = 0;
process.stdout.write("\n# @events benchmarks (medians of several runs; ratios > 1 are better)\n\n");
for (const file of readdirSync(results).sort()) {
  const { package: name, rows } = JSON.parse(readFileSync(join(results, file), "utf8")) as {
    package: string;
    rows: BenchRow[];
  };
  failed += rows.filter((row) => row.pass === false).length;
  process.stdout.write(`${renderTable(name, rows)}\n`);
}
process.stdout.write(failed === 0 ? "every target met\n" : `${failed} target(s) missed (marked NO)\n`);
process.exit(run.status ?? 0);
