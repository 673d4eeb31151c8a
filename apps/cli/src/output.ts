/**
 * Everything the CLI prints goes through here: colour only on a terminal and never
 * with NO_COLOR (colour.ts), JSON for scripts, errors with a next step.
 *
 * Lines go straight to the file descriptor (`fs.writeSync`), which is what
 * process.stdout does for files, pipes and terminals on Linux, without building the
 * stream: that loads Node's streams, 2 ms of a command that prints one line. A
 * descriptor that would block (EAGAIN: someone else made it non-blocking) hands this
 * line and every later one to the stream, which waits for it; a reader that has gone
 * (EPIPE) ends the process quietly, as cli.ts does for the streams.
 */
import { writeSync } from "node:fs";
import { colour } from "./colour.js";
import type { CliError } from "./errors.js";

export { colour };

/** Descriptors handed over to process.stdout / process.stderr. */
const streamed = new Set<1 | 2>();

/** Writes `text` to stdout (1) or stderr (2). */
export function write(fd: 1 | 2, text: string): void {
  if (streamed.has(fd)) {
    (fd === 1 ? process.stdout : process.stderr).write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EPIPE") process.exit(process.exitCode ?? 0);
    if (code !== "EAGAIN") throw error;
    streamed.add(fd);
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done));
  }
}

export function print(line = ""): void {
  write(1, `${line}\n`);
}

export function printJson(value: unknown): void {
  write(1, `${JSON.stringify(value, null, 2)}\n`);
}

export function warn(message: string): void {
  write(2, `${colour.yellow("warning:")} ${message}\n`);
}

export function printError(error: CliError): void {
  write(2, `${colour.red("error:")} ${error.message}\n${error.hint === undefined ? "" : `${colour.dim("hint:")} ${error.hint}\n`}`);
}
