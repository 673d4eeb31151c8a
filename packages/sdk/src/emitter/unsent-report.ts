/**
 * What happens to events that never reached queue.db: they are never dropped
 * silently. They are saved as JSON lines to `<home>/unsent-*.jsonl` (else the
 * system temp directory) and a warning gives their count and the file; if no file
 * can be written, the warning carries the events themselves.
 */
import type { Envelope } from "@events/schema";
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { warn } from "../logger.js";

export interface UnsentReport {
  /** Events that are not in the outbox. */
  unsent: Envelope[];
  /** The file they were saved to, when one could be written. */
  savedTo?: string;
}

export function reportUnsent(unsent: Envelope[], home: string): UnsentReport {
  if (unsent.length === 0) return { unsent };
  const lines = `${unsent.map((event) => JSON.stringify(event)).join("\n")}\n`;
  const name = `unsent-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.jsonl`;
  for (const dir of [home, tmpdir()]) {
    const path = join(dir, name);
    let created = false;
    try {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(path, "wx", 0o600);
      created = true;
      try {
        writeFileSync(fd, lines);
      } finally {
        closeSync(fd);
      }
      warn(`${unsent.length} event(s) could not be written to the outbox; saved to ${path} (they will not be synced from there)`);
      return { unsent, savedTo: path };
    } catch {
      // A full disk creates the file and then refuses its bytes: remove the truncated
      // file so no one takes it for the report, and try the next place.
      if (created) rmSync(path, { force: true });
    }
  }
  warn(`${unsent.length} event(s) could not be written to the outbox or to any file; they are:\n${lines.trimEnd()}`);
  return { unsent };
}
