/**
 * Small tmpfs volumes for the tests that fill a disk for real (the SDK's home, the
 * hub's store): mounted as root, filled to ENOSPC, always unmounted. Where a tmpfs
 * cannot be mounted such a test fails under CI and is skipped elsewhere, saying why.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function mountTmpfs(dir: string, bytes: number): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
}

export function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    // Still busy (a child that would not die): detach it now, the kernel frees it when the last file closes.
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}

let missing: string | undefined | null = null;

/** Why a tmpfs cannot be mounted here, or undefined when it can (probed once per process). */
function mountMissing(): string | undefined {
  if (missing !== null) return missing;
  const dir = mkdtempSync(join(tmpdir(), "events-mount-probe-"));
  try {
    mountTmpfs(dir, 64 * 1024);
    unmount(dir);
    missing = undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    missing = stderr !== undefined && stderr !== "" ? stderr : error instanceof Error ? error.message : String(error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return missing;
}

/** Skips the test (outside CI) or fails it (under CI) when no tmpfs can be mounted. */
export function requireMount(context: { skip: (note?: string) => void }): void {
  const why = mountMissing();
  if (why === undefined) return;
  const note = `cannot mount a tmpfs to fill (${why}); these tests need root`;
  if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${note}; CI requires it`);
  process.stderr.write(`skipped: ${note}\n`);
  context.skip(note);
}

/** Writes `path` until the volume refuses a byte more; returns the bytes it took. */
export function fill(path: string): number {
  const block = Buffer.alloc(4096, 0x2e);
  const fd = openSync(path, "a");
  let written = 0;
  try {
    for (;;) written += writeSync(fd, block);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}
