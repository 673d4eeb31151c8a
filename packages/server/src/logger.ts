/**
 * A small leveled logger writing one line per record to stderr. The library never
 * prints on its own: `startHub` defaults to `silent` unless `EVENTS_DEBUG=1`, and
 * `main.ts` passes `info`. Callers never log query strings (they may carry tickets).
 */

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** A logger that writes records at `level` or more severe to `write` (stderr by default). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const at = (wanted: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[wanted]) return;
    const extra = fields === undefined ? "" : ` ${safeJson(fields)}`;
    write(`${new Date().toISOString()} ${wanted.padEnd(5)} ${message}${extra}\n`);
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** The level the library uses when the caller does not choose one. */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return env["EVENTS_DEBUG"] === "1" ? "debug" : "silent";
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Error ? inner.message : inner));
  } catch {
    return "[unserialisable]";
  }
}
