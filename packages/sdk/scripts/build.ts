/**
 * Builds `dist/index.js`: the SDK as one ES module, its dependencies left as imports.
 *
 * Node's built-in modules are required, not imported. Importing `node:fs` as an ES
 * module builds its module namespace, which reads every export, including the lazy
 * `ReadStream`/`WriteStream` getters: that loads the whole streams stack, about 2 ms
 * of a host command that never touches a stream. `require()` hands back the object
 * and loads nothing more.
 */
import { createRequire } from "node:module";
import { build } from "esbuild";

const require = createRequire(import.meta.url);

const BUILTINS = /^node:(fs|os|path)$/;

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
  plugins: [
    {
      name: "builtins-by-require",
      setup(builder) {
        builder.onResolve({ filter: BUILTINS }, (args) => ({ path: args.path, namespace: "builtin" }));
        builder.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: facade(args.path), loader: "js" }));
      },
    },
  ],
});

/**
 * An ES module re-exporting a built-in's plain values (its functions and constants),
 * read once from `require()`: lazy getters are left out, so nothing more is loaded.
 */
function facade(specifier: string): string {
  const bare = specifier.slice("node:".length);
  const names = Object.entries(Object.getOwnPropertyDescriptors(require(specifier) as object))
    .filter(([name, descriptor]) => "value" in descriptor && /^[A-Za-z_$][\w$]*$/.test(name) && name !== "default")
    .map(([name]) => name);
  return [
    `const m = require(${JSON.stringify(bare)});`,
    "export default m;",
    ...names.map((name) => `export const ${name} = m.${name};`),
  ].join("\n");
}

// And better-sqlite3's wrapper, as one file beside it.
await import("./bundle-sqlite.js");
