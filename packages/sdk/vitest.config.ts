import { defineConfig } from "vitest/config";
import { sourceConditions } from "../../vitest.shared.js";

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // test/*.test-d.ts hold type assertions; the typecheck task (tsc over tsconfig.json,
    // which includes test/) fails on any of them, so vitest need not run tsc again.
  },
});
