/**
 * Payloads from the command line: `--payload JSON`, or `--set key=value` repeated
 * (values read as JSON when they parse, so numbers, booleans, null and arrays work;
 * else as strings; `a.b=c` nests).
 */
import { usageError } from "./errors.js";

export function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`${flag} is not valid JSON: ${(error as Error).message}`, `quote it for the shell, e.g. ${flag} '{"wp_id":"WP01"}'`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw usageError(`${flag} must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`, `e.g. ${flag} '{"key":"value"}'`);
  }
  return value as Record<string, unknown>;
}

export function applySets(target: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  for (const item of sets) {
    const at = item.indexOf("=");
    if (at <= 0) throw usageError(`--set takes key=value, got "${item}"`, "e.g. --set wp_id=WP01 --set retry_count=0");
    const path = item.slice(0, at).split(".");
    const raw = item.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the string itself.
    }
    let node = target;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return target;
}

/** Collects a repeatable option into a list (commander's reducer). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function integer(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw usageError(`${name} must be a whole number, got "${value}"`);
  return parsed;
}
