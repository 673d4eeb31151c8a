#!/usr/bin/env node
import { run } from "./main.js";

// A reader that stops early (`events ... --help | head -1`) closes the pipe: that is
// the reader's choice, not a failure of the command, so the process ends quietly with
// the exit code it has, as a command killed by SIGPIPE would, without a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await run(process.argv);
