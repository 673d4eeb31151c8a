import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One npm install is shared by every check (beforeAll); each check has its own bound.
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
