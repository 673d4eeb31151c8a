/**
 * `<home>/syncer.log`: what the background syncer did, one line each. Bounded: past
 * `maxBytes` it is moved to `syncer.log.1` (replacing the previous one) and begun again.
 */
import { appendFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";

/** @default 1 MiB */
const MAX_BYTES = 1024 * 1024;

export function syncerLog(home: string, maxBytes = MAX_BYTES): (message: string) => void {
  const path = join(home, "syncer.log");
  let written = size(path);
  return (message) => {
    const line = `${new Date().toISOString()} [${process.pid}] ${message}\n`;
    try {
      if (written + line.length > maxBytes) {
        renameSync(path, `${path}.1`);
        written = 0;
      }
      appendFileSync(path, line);
      written += line.length;
    } catch {
      // A log that cannot be written must not stop delivery.
    }
  };
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
