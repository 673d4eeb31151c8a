/** Injected into dist/cli.js by the build, for the inlined packages' `import.meta.url` (scripts/build.ts). */
export { packageUrl as __eventsPackageUrl } from "./package-dirs.js";
