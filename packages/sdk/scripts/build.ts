/**
 * Builds `dist/index.js`: the SDK as one ES module, its dependencies left as imports,
 * Node's `fs`, `path` and `os` taken by `require()` (scripts/builtins-by-require.ts at
 * the root says why). Then better-sqlite3's wrapper, as one file beside it.
 */
import { build } from "esbuild";
import { builtinsByRequire } from "../../../scripts/builtins-by-require.js";

await build({
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  plugins: [builtinsByRequire],
});

await import("./bundle-sqlite.js");
