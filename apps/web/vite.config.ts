/**
 * The dashboard's build: plain Vite, Preact's JSX through Vite's own transform (no
 * plugin). `@events/schema` resolves to its TypeScript source through the
 * `@events/source` condition, so the page needs no schema build first.
 */
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  resolve: { conditions: ["@events/source", "module", "browser", "development|production"] },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    assetsDir: "assets",
  },
  server: {
    // `pnpm --filter @events/web dev` next to a hub on 8787.
    proxy: {
      "/api": { target: "http://127.0.0.1:8787", ws: true },
      "/healthz": "http://127.0.0.1:8787",
    },
  },
});
