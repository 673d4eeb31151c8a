/**
 * Builds `dist/`:
 * - `cli.js`: the `events` command as one CommonJS file, with commander,
 *   @events/sdk and @events/schema inside. A command pays for one file, not for a
 *   dozen resolved through Node's ES module loader, and dist/bin.js compiles it from
 *   V8's code cache (src/code-cache.ts). What stays outside is loaded only by the
 *   commands that use it: the hub (@events/server), the live client, the SQLite
 *   driver, the YAML parser. commander's `child_process` is only loaded if it is ever
 *   asked to spawn, which `events` never does.
 * - `bin.js`: the entry, a few lines of CommonJS (`dist/package.json` says so: Node
 *   starts a CommonJS entry about 4 ms sooner than an ES module).
 * - `dashboard/`: the web app's build, for `events serve`; code finds it relative to
 *   its own file.
 */
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build, type Plugin } from "esbuild";

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

/** The packages whose code goes into cli.js while their files stay where they are. */
const INLINED = new Set(["@events/sdk", "@events/schema"]);

/** The package (name and root) that holds `file`. */
function packageOf(file: string, cache: Map<string, { name: string; root: string } | undefined>): { name: string; root: string } | undefined {
  const dir = dirname(file);
  if (cache.has(dir)) return cache.get(dir);
  const manifest = join(dir, "package.json");
  const found = existsSync(manifest)
    ? { name: (JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name, root: dir }
    : dir === dirname(dir)
      ? undefined
      : packageOf(dir, cache);
  cache.set(dir, found);
  return found;
}

/**
 * `import.meta.url`, which a CommonJS file does not have: in the inlined packages'
 * files it becomes the file's URL in its own package (src/package-dirs.ts), in the
 * command's own files the URL of cli.js.
 */
const importMetaUrl: Plugin = {
  name: "import-meta-url",
  setup(builder) {
    const packages = new Map<string, { name: string; root: string } | undefined>();
    builder.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const owner = packageOf(args.path, packages);
      const loader = args.path.endsWith(".ts") ? "ts" : "js";
      if (owner !== undefined && INLINED.has(owner.name)) {
        const url = `__eventsPackageUrl(${JSON.stringify(owner.name)}, ${JSON.stringify(relative(owner.root, args.path))})`;
        return { contents: source.replaceAll("import.meta.url", url), loader };
      }
      if (owner?.name === "@events/cli") {
        return { contents: source.replaceAll("import.meta.url", 'require("node:url").pathToFileURL(__filename).href'), loader };
      }
      throw new Error(`${args.path} reads import.meta.url, which cli.js cannot give it`);
    });
  },
};

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ["src/cli.ts"],
  outfile: "dist/cli.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Loaded by the commands that need them, from their own packages.
  external: ["@events/server", "@events/client", "@events/client/*", "@events/schema/*", "better-sqlite3", "yaml", "ws"],
  define: { __EVENTS_CLI_VERSION__: JSON.stringify(version) },
  banner: { js: 'var __eventsImport = (specifier) => globalThis[Symbol.for("@events/cli.import")](specifier);' },
  inject: ["src/package-url-inject.ts"],
  plugins: [lazyChildProcess, importMetaUrl],
});
// cli.js runs as a vm.Script, whose import() has no loader behind it (Node 20 has only an
// experimental one, which a code cache loses): every import() goes to the entry's, by a
// function that dist/bin.js puts on the global (src/bin.ts). None may be left.
const command = readFileSync("dist/cli.js", "utf8").replace(/\bimport\((?=["'])/g, "__eventsImport(");
if (/\bimport\(/.test(command)) throw new Error("dist/cli.js still calls import() with a computed specifier");
writeFileSync("dist/cli.js", command);
const digest = createHash("sha256").update(readFileSync("dist/cli.js")).digest("hex").slice(0, 16);
await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/bin.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  define: { __EVENTS_CLI_BUILD__: JSON.stringify(digest) },
});
writeFileSync("dist/package.json", `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
chmodSync("dist/bin.js", 0o755);
if (existsSync("../web/dist/index.html")) cpSync("../web/dist", "dist/dashboard", { recursive: true });
