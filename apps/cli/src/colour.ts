/**
 * Terminal colours, decided on first use by picocolors' rules: NO_COLOR or
 * `--no-color` turn them off; FORCE_COLOR, `--color`, Windows, a terminal on stdout
 * that is not "dumb", or CI turn them on. Asking whether stdout is a terminal builds
 * process.stdout (Node's streams, about 2 ms), so it is asked last, and only of a
 * character device: a file or a pipe is never a terminal.
 */
import { fstatSync } from "node:fs";

let enabled: boolean | undefined;

function colourOn(): boolean {
  if (enabled !== undefined) return enabled;
  const { argv, env } = process;
  if (Boolean(env["NO_COLOR"]) || argv.includes("--no-color")) enabled = false;
  else if (Boolean(env["FORCE_COLOR"]) || argv.includes("--color") || process.platform === "win32" || Boolean(env["CI"])) enabled = true;
  else enabled = env["TERM"] !== "dumb" && characterDevice(1) && process.stdout.isTTY === true;
  return enabled;
}

function characterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/** `open` before the text and `close` after it; a `close` inside it (a nested colour's) becomes `replace`, so the outer colour goes on. */
function paint(open: string, close: string, replace = open): (text: string) => string {
  return (text) => (colourOn() ? `${open}${text.replaceAll(close, replace)}${close}` : text);
}

export const colour = {
  // 22 ends bold and dim alike: one nested inside the other opens it again.
  bold: paint("\x1b[1m", "\x1b[22m", "\x1b[22m\x1b[1m"),
  dim: paint("\x1b[2m", "\x1b[22m", "\x1b[22m\x1b[2m"),
  red: paint("\x1b[31m", "\x1b[39m"),
  green: paint("\x1b[32m", "\x1b[39m"),
  yellow: paint("\x1b[33m", "\x1b[39m"),
  blue: paint("\x1b[34m", "\x1b[39m"),
  magenta: paint("\x1b[35m", "\x1b[39m"),
  cyan: paint("\x1b[36m", "\x1b[39m"),
} as const;
