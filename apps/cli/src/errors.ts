/**
 * The CLI's one error type: what went wrong, and what to do next. Commands throw it;
 * the entry point prints it and exits with its code, never a stack trace.
 */
import { EXIT, type ExitCode } from "./exit-codes.js";

export type CliErrorCode = "usage" | "failed";

export class CliError extends Error {
  readonly code: CliErrorCode;
  /** One line telling the user what to do next. */
  readonly hint: string | undefined;

  constructor(code: CliErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): ExitCode {
    return this.code === "usage" ? EXIT.usage : EXIT.failed;
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError("usage", message, hint === undefined ? {} : { hint });
}

export function failure(message: string, hint?: string, cause?: unknown): CliError {
  return new CliError("failed", message, { ...(hint === undefined ? {} : { hint }), cause });
}
