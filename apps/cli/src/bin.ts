#!/usr/bin/env node
/**
 * The `events` command's entry: a few lines of CommonJS that run dist/cli.js, the
 * command, compiled from V8's code cache when there is one (code-cache.ts). Node
 * starts a CommonJS entry about 4 ms sooner than an ES module, and a cached compile
 * of the command's 500 KB costs a fraction of parsing it.
 */
import { join } from "node:path";
import { cacheDirectory, runCached } from "./code-cache.js";

/** A digest of dist/cli.js, written in by the build: the cache of another build is never used. */
declare const __EVENTS_CLI_BUILD__: string;

// The command's import() calls come here (scripts/build.ts): resolved from dist/, as they would be from cli.js.
(globalThis as { [key: symbol]: unknown })[Symbol.for("@events/cli.import")] = (specifier: string): Promise<unknown> => import(specifier);

runCached({ file: join(__dirname, "cli.js"), build: __EVENTS_CLI_BUILD__, dir: cacheDirectory(process.env) });
