import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@events/source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Suites start real servers and databases; two workers suit the two shared cores.
    maxWorkers: 2,
  },
});
