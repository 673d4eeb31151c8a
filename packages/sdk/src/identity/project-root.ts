/** Finding the project: the nearest directory at or above a start that holds `.git`. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The nearest git root at or above `start`, or undefined. */
export function findGitRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, ".git"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The project root: the nearest git root above `cwd`, else `cwd` itself. */
export function findProjectRoot(cwd: string = process.cwd()): string {
  return findGitRoot(cwd) ?? resolve(cwd);
}
