import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@events/source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});
