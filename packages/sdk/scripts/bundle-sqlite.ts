/**
 * Bundles better-sqlite3's JavaScript wrapper into one file,
 * `dist/better-sqlite3-<version>.cjs`.
 * Requiring the package walks a dozen small files through the CommonJS loader (each
 * resolved through pnpm's symlinks, read and compiled): about 4 ms of every host
 * command that emits. One file is one read and one compile.
 *
 * The wrapper must match the addon it drives, so the file is named by the version it
 * was built from: the SDK requires the file of the installed better-sqlite3's version,
 * when its addon is where the package builds it, and the package itself otherwise
 * (src/outbox/open-database.ts).
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(join(packageDir, "package.json"));
const manifest = require.resolve("better-sqlite3/package.json");
const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
// The wrapper ships in our package, so its licence travels with it, whole.
const license = readFileSync(join(dirname(manifest), "LICENSE"), "utf8").trim().split("\n").map((line) => `// ${line}`.trimEnd());
const outDir = join(packageDir, "dist");

// A wrapper of a version no longer installed must not ship.
for (const name of readdirSync(outDir)) if (/^better-sqlite3-.+\.cjs$/.test(name)) rmSync(join(outDir, name));

await build({
  entryPoints: [join(dirname(manifest), "lib", "index.js")],
  outfile: join(outDir, `better-sqlite3-${version}.cjs`),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // Only used when no addon path is given, which the SDK never does with this bundle.
  external: ["bindings"],
  banner: { js: [`// better-sqlite3 ${version}: its JavaScript wrapper, bundled by @events/sdk (scripts/bundle-sqlite.ts).`, ...license].join("\n") },
  logLevel: "warning",
});
