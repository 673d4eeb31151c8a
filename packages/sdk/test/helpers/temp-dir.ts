/** Temporary directories that remove themselves when the test ends. */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";

export function tempDir(prefix = "events-sdk-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => {
    // A test may have made it read-only.
    try {
      chmodSync(dir, 0o755);
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A state home and a project root, both fresh. */
export function tempWorkspace(): { home: string; projectRoot: string } {
  const dir = tempDir();
  return { home: join(dir, "home"), projectRoot: join(dir, "project") };
}
