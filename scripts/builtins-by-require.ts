/**
 * An esbuild plugin for bundles that Node runs: Node's built-in modules are required,
 * not imported. Importing `node:fs` as an ES module builds its namespace, which reads
 * every export, lazy getters included: that loads `fs/promises`, readline and the
 * whole streams stack, about 2-3 ms of a command that uses none of them. `require()`
 * hands back the object and loads nothing more. Used by the SDK's
 * build, whose bundles define `require` (`createRequire(import.meta.url)`).
 */
import { createRequire } from "node:module";
import type { Plugin } from "esbuild";

const require = createRequire(import.meta.url);

/** The built-ins whose ES module namespace costs more than the module itself. */
export const REQUIRED_BUILTINS = /^node:(fs|os|path)$/;

export const builtinsByRequire: Plugin = {
  name: "builtins-by-require",
  setup(builder) {
    builder.onResolve({ filter: REQUIRED_BUILTINS }, (args) => ({ path: args.path, namespace: "builtin" }));
    builder.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: facade(args.path), loader: "js" }));
  },
};

/**
 * An ES module re-exporting a built-in's plain values (its functions and constants),
 * read once from `require()`: lazy getters are left out, so nothing more is loaded.
 */
function facade(specifier: string): string {
  const bare = specifier.slice("node:".length);
  const names = Object.entries(Object.getOwnPropertyDescriptors(require(specifier) as object))
    .filter(([name, descriptor]) => "value" in descriptor && /^[A-Za-z_$][\w$]*$/.test(name) && name !== "default")
    .map(([name]) => name);
  // The bare name, which this plugin does not match: a plain external require.
  return [`const m = require(${JSON.stringify(bare)});`, "export default m;", ...names.map((name) => `export const ${name} = m.${name};`)].join("\n");
}
