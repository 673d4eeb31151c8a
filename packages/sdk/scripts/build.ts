/**
 * Builds `dist/index.js`: the SDK as one ES module (and `dist/spec-kitty.js` over it), its dependencies left as imports,
 * Node's `fs`, `path` and `os` taken by `require()` (scripts/builtins-by-require.ts at
 * the root says why). Then better-sqlite3's wrapper, as one file beside it.
 */
import { build } from "esbuild";
import { builtinsByRequire } from "../../../scripts/builtins-by-require.js";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
} as const;

await build({
  ...common,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  plugins: [builtinsByRequire],
});

// The background syncer, started detached by emits (src/syncer/): found beside index.js.
await build({
  ...common,
  entryPoints: ["src/syncer/syncer-main.ts"],
  outfile: "dist/syncer.js",
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  plugins: [builtinsByRequire],
});

// spec-kitty's helper names: a thin module over the SDK, which it imports by its
// package name (left external), so both entry points share one emitter and one outbox.
await build({ ...common, entryPoints: ["src/spec-kitty.ts"], outfile: "dist/spec-kitty.js" });

await import("./bundle-sqlite.js");
