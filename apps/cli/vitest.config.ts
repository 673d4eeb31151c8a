import { defineConfig } from "vitest/config";
import { sourceConditions } from "../../vitest.shared.js";

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup-env.ts"],
    testTimeout: 60_000,
    // The tests spawn the built binary; they run one file at a time to keep the
    // machine's two cores for the processes they start.
    fileParallelism: false,
  },
});
