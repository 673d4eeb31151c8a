/**
 * Builds the package after `tsc` has written the per-file output and declarations:
 *
 * - `dist/index.js`, the entry point as one ES module (what Node and bundlers load).
 *   The reference validators stay out of it: `dist/generated/reference.cjs` sits beside
 *   it and is required on the first failed check (src/codec/load-reference.ts).
 * - `dist/index.browser.js`, the same with the reference validators bundled in, since
 *   a page cannot load a module synchronously (the `browser` export condition).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { build, type BuildOptions, type Plugin } from "esbuild";

const common: BuildOptions = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "neutral",
  format: "esm",
  target: "es2022",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};

/** The browser build's loader: load-reference.browser.ts in place of load-reference.ts. */
const browserLoader: Plugin = {
  name: "browser-reference-loader",
  setup(builder) {
    builder.onResolve({ filter: /[/\\]load-reference\.js$/ }, (args) => ({
      path: `${args.resolveDir}/${args.path.replace(/\.js$/, ".browser.ts")}`,
    }));
  },
};

mkdirSync("dist/generated", { recursive: true });
copyFileSync("src/generated/reference.cjs", "dist/generated/reference.cjs");
copyFileSync("src/generated/reference.js", "dist/generated/reference.js");
copyFileSync("src/generated/reference.d.ts", "dist/generated/reference.d.ts");
await Promise.all([
  build({
    ...common,
    outfile: "dist/index.js",
    // Relative to the bundle, where tsc's per-file output has it one level up.
    define: { __EVENTS_REFERENCE_MODULE__: JSON.stringify("./generated/reference.cjs") },
  }),
  build({ ...common, outfile: "dist/index.browser.js", plugins: [browserLoader] }),
]);
