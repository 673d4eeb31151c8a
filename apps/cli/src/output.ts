/**
 * Everything the CLI prints goes through here: colour only on a terminal and never
 * with NO_COLOR (picocolors decides), JSON for scripts, errors with a next step.
 */
import pc from "picocolors";
import type { CliError } from "./errors.js";

export const colour = pc;

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${pc.yellow("warning:")} ${message}\n`);
}

export function printError(error: CliError): void {
  process.stderr.write(`${pc.red("error:")} ${error.message}\n`);
  if (error.hint !== undefined) process.stderr.write(`${pc.dim("hint:")} ${error.hint}\n`);
}
