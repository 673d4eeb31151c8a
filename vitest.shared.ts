/**
 * Test settings every package shares. Workspace imports resolve to source through
 * the `@events/source` export condition, so tests never need a build first. Vitest
 * runs tests as Vite's server ("ssr") environment, whose conditions are separate
 * from the client's and replace Vite's defaults, hence both lists in full.
 */
export const sourceConditions = {
  resolve: { conditions: ["@events/source", "module", "browser", "development|production"] },
  ssr: { resolve: { conditions: ["@events/source", "module", "node", "development|production"] } },
};
