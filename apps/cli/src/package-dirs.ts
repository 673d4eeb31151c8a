/**
 * Where the packages whose code is bundled into dist/cli.js really are. The build
 * (scripts/build.ts) replaces `import.meta.url` in @events/sdk's and
 * @events/schema's files with `packageUrl(<package>, <file>)`, so that what they
 * find beside themselves (the SDK's syncer.js and SQLite binding, the schema's
 * reference validators) is found in their own package. A package is resolved once
 * per run, or never when the code cache's header already knew it (code-cache.ts).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

interface PackageDirs {
  /** Package directory by package name. */
  readonly dirs: Map<string, string>;
  /** Whether this run resolved one that was not known. */
  added: boolean;
}

/** Shared by the entry (dist/bin.js) and the command (dist/cli.js), which are two scripts. */
const KEY = Symbol.for("@events/cli.package-dirs");

export function packageDirs(): PackageDirs {
  const global = globalThis as { [KEY]?: PackageDirs };
  return (global[KEY] ??= { dirs: new Map(), added: false });
}

/** The file URL of `file` (relative to the package's root) in package `name`. */
export function packageUrl(name: string, file: string): string {
  const known = packageDirs();
  let dir = known.dirs.get(name);
  if (dir === undefined) {
    dir = dirname(createRequire(__filename).resolve(`${name}/package.json`));
    known.dirs.set(name, dir);
    known.added = true;
  }
  return pathToFileURL(join(dir, file)).href;
}
