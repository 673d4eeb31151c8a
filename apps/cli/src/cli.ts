/**
 * The `events` command itself, built into dist/cli.js (one CommonJS file with
 * commander, @events/sdk and @events/schema inside) and run by dist/bin.js through
 * V8's code cache (code-cache.ts).
 */
import { run } from "./main.js";

// A reader that stops early (`events ... --help | head -1`) closes the pipe: that is
// the reader's choice, not a failure of the command, so the process ends quietly with
// the exit code it has, as a command killed by SIGPIPE would, without a stack trace.
// Node builds process.stdout and process.stderr on first use, and most commands never
// use them (output.ts writes to the descriptors): the handler goes on when one is built.
for (const name of ["stdout", "stderr"] as const) {
  const built = Object.getOwnPropertyDescriptor(process, name);
  if (built?.get === undefined || built.configurable !== true) {
    quietOnEpipe(process[name]);
    continue;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: built.enumerable ?? true,
    get() {
      const stream = built.get!.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, { configurable: true, enumerable: built.enumerable ?? true, writable: true, value: stream });
      quietOnEpipe(stream);
      return stream;
    },
  });
}

function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

void run(process.argv).then((code) => {
  process.exitCode = code;
});
