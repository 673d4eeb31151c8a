/**
 * Builds `dist/index.js` (the browser entry, one ES module; @events/schema left as an
 * import), `dist/node.js` over it and `dist/backoff.js` alone, after tsc wrote the declarations. One module
 * instead of a dozen: Node loads the client in a third of the time, and bundlers
 * still drop what a page does not use (`sideEffects: false`).
 */
import { build } from "esbuild";

const common = { bundle: true, format: "esm", target: "es2022", packages: "external", sourcemap: true, logLevel: "warning" } as const;

await build({ ...common, platform: "neutral", entryPoints: ["src/index.ts"], outfile: "dist/index.js" });
// The backoff alone, for hosts that retry something of their own (the SDK's HTTP batches) without loading the client.
await build({ ...common, platform: "neutral", entryPoints: ["src/backoff.ts"], outfile: "dist/backoff.js" });
await build({
  ...common,
  platform: "node",
  target: "node20",
  entryPoints: ["src/node.ts"],
  outfile: "dist/node.js",
  plugins: [
    {
      name: "browser-entry-external",
      setup(context) {
        context.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: "./index.js", external: true }));
      },
    },
  ],
});
