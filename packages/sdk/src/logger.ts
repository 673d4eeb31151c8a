/**
 * The only place the SDK writes to the terminal: warnings always, debug traces when
 * asked (`EVENTS_DEBUG=1`). Everything goes to stderr, never stdout, so a host
 * command's output stays its own. Tests swap the sink to capture lines.
 */

export type LogLevel = "warn" | "debug";
export type LogSink = (level: LogLevel, message: string) => void;

/**
 * Debug lines carry the milliseconds since the process started, so a trace shows
 * where a slow command spends its time.
 */
const stderrSink: LogSink = (level, message) => {
  try {
    const prefix = level === "warn" ? "warning" : `debug +${performance.now().toFixed(1)}ms`;
    process.stderr.write(`[events] ${prefix}: ${message}\n`);
  } catch {
    // A closed stderr must not turn a warning into a crash.
  }
};

// One sink per process, kept on a global: the `@events/sdk/spec-kitty` entry point is
// bundled with its own copy of this module, and `setLogSink` must reach both.
const SINK = Symbol.for("@events/sdk.log-sink");
const slot = globalThis as { [SINK]?: LogSink };

/** Replaces where log lines go; `undefined` restores stderr. Returns the previous sink. */
export function setLogSink(next: LogSink | undefined): LogSink {
  const previous = slot[SINK] ?? stderrSink;
  slot[SINK] = next ?? stderrSink;
  return previous;
}

export function warn(message: string): void {
  (slot[SINK] ?? stderrSink)("warn", message);
}

export function debug(message: string): void {
  (slot[SINK] ?? stderrSink)("debug", message);
}

/** Whether `EVENTS_DEBUG` asks for traces (`1`, `true`, `yes`). */
export function debugFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env["EVENTS_DEBUG"]?.toLowerCase();
  return value === "1" || value === "true" || value === "yes";
}

/** Warns once per key for the life of the returned function: one warning per condition. */
export function warnOnce(): (key: string, message: string) => void {
  const seen = new Set<string>();
  return (key, message) => {
    if (seen.has(key)) return;
    seen.add(key);
    warn(message);
  };
}
