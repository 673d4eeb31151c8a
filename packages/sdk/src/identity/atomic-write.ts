/**
 * Writing a file so that readers see the old content or the new, never half of it:
 * write a temporary file beside it, then rename (replace) or hard-link (create only
 * if absent) it into place.
 */
import { linkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Replaces `path` with `content` atomically (created with `mode`, default 0o666 less the umask). Throws what the file system throws. */
export function writeFileAtomic(path: string, content: string, options: { mode?: number } = {}): void {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, content, { flag: "wx", ...(options.mode === undefined ? {} : { mode: options.mode }) });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Creates `path` with `content` only if it does not exist yet, atomically: of two
 * processes creating it at once, exactly one wins. Returns false when it existed.
 */
export function createFileExclusive(path: string, content: string): boolean {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, content, { flag: "wx" });
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}
