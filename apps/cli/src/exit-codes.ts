/** The exit codes every command uses; documented in `events --help`. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: no server, bad token, rejected event. */
  failed: 1,
  /** The command line was wrong: unknown command, missing or bad argument. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
