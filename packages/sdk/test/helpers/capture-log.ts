/** Captures what the SDK writes to stderr (warnings, debug traces) for the test's duration. */
import { onTestFinished } from "vitest";
import { setLogSink, type LogLevel } from "../../src/index.js";

export interface CapturedLog {
  lines: Array<{ level: LogLevel; message: string }>;
  warnings(): string[];
  debugs(): string[];
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog["lines"] = [];
  const previous = setLogSink((level, message) => lines.push({ level, message }));
  onTestFinished(() => void setLogSink(previous));
  return {
    lines,
    warnings: () => lines.filter((line) => line.level === "warn").map((line) => line.message),
    debugs: () => lines.filter((line) => line.level === "debug").map((line) => line.message),
  };
}
