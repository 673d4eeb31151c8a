/**
 * Builds `dist/`: the `events` command as one ES module (`bin.js`) with one chunk per
 * lazily imported command, commander and picocolors inside, the @events packages left
 * as imports. A command pays for one file, not for a dozen resolved through
 * the module loaders (about 10 ms of every `events emit`), and commander's
 * `child_process` is only loaded if it is ever asked to spawn, which `events` never
 * does; Node's `fs`, `path` and `os` are required, not imported (see
 * scripts/builtins-by-require.ts at the root). Then the dashboard's build is copied
 * in, for `events serve`. Every chunk sits
 * in dist/ itself: code finds dist/dashboard relative to its own module.
 */
import { chmodSync, cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { build, type Plugin } from "esbuild";
import { builtinsByRequire } from "../../../scripts/builtins-by-require.js";

/** commander requires child_process at load for executable subcommands; hand it a lazy one. */
const lazyChildProcess: Plugin = {
  name: "lazy-child-process",
  setup(builder) {
    builder.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes("commander") ? { path: "child_process", namespace: "lazy-builtin" } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      // Every property, loaded on first use: a commander release that reaches for another one still works.
      contents: 'let loaded; module.exports = new Proxy({}, { get: (_, key) => (loaded ??= require("child_process"))[key] });',
      loader: "js",
    }));
  },
};

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ["src/bin.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  external: ["@events/*"],
  define: { __EVENTS_CLI_VERSION__: JSON.stringify(version) },
  // Bundled CommonJS (commander) requires Node's built-ins through this.
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  plugins: [lazyChildProcess, builtinsByRequire],
});
chmodSync("dist/bin.js", 0o755);
if (existsSync("../web/dist/index.html")) cpSync("../web/dist", "dist/dashboard", { recursive: true });
