/**
 * Loads the reference validators (src/generated/reference.cjs, 346 KB of Ajv output)
 * on the first failed check, not at import: a process that only ever sees valid
 * messages, such as a command that emits one event, never parses them.
 *
 * Under Node.js the CommonJS file is required synchronously through
 * `process.getBuiltinModule` (Node >= 20.16). The package's browser build swaps this
 * file for load-reference.browser.ts, which imports the ES module twin statically
 * (scripts/build.ts). A bundle that moves this code away from the file (a server
 * bundled with its dependencies) cannot find it: decode then still fails with one
 * structured issue, without the detail.
 */
import type { reference } from "../generated/reference.js";

export type ReferenceFactory = typeof reference;

/** Set by the build to the module's path beside the bundle; from source it is the generated file. */
declare const __EVENTS_REFERENCE_MODULE__: string | undefined;

interface NodeModuleApi {
  createRequire(this: void, from: string): (id: string) => unknown;
}

export function loadReference(): ReferenceFactory {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltinModule !== "function") {
    throw new Error("no process.getBuiltinModule (Node.js >= 20.16); in a browser, use the package's browser build");
  }
  const path = typeof __EVENTS_REFERENCE_MODULE__ === "string" ? __EVENTS_REFERENCE_MODULE__ : "../generated/reference.cjs";
  const { createRequire } = getBuiltinModule("node:module") as NodeModuleApi;
  return (createRequire(import.meta.url)(path) as { reference: ReferenceFactory }).reference;
}
