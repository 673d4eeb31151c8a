/**
 * How every issue writes what it received: the offending value itself, as JSON text,
 * cut at RECEIVED_MAX_CHARS. Callers rely on `received` never being a description of
 * the schema (a pattern, a limit, a list of allowed values), and on it never throwing.
 */

/**
 * The most characters (JavaScript string length) of a value's JSON text that an
 * issue's `received` carries; longer text is cut there and ends in `…(+N more)`,
 * N the characters left out. Well under the wire's 4096-character cap on `received`.
 */
export const RECEIVED_MAX_CHARS = 256;

/** The most characters of an issue's `path`: a property name can be as long as a body allows. */
export const PATH_MAX_CHARS = 1024;

/** An issue's `path`, cut at PATH_MAX_CHARS (marked like `received`), so an issue always fits the wire. */
export function issuePath(path: string): string {
  if (path.length <= PATH_MAX_CHARS) return path;
  return `${path.slice(0, isHighSurrogate(path.charCodeAt(PATH_MAX_CHARS - 1)) ? PATH_MAX_CHARS - 1 : PATH_MAX_CHARS)}…(+${path.length - PATH_MAX_CHARS} more)`;
}

/** What `received` says when there is no value at the path (a required property is missing). */
export const RECEIVED_NOTHING = "nothing";

/**
 * The `received` of an issue: `value` as JSON text (a string in quotes, an object or
 * array as written), cut at RECEIVED_MAX_CHARS; `nothing` when absent. What JSON cannot
 * write is named instead: `NaN`, `12n`, `a function`, or why it could not be written.
 */
export function receivedText(value: unknown): string {
  return truncateReceived(jsonText(value));
}

/** Cuts text that is already a `received` rendering at RECEIVED_MAX_CHARS, marking what was left out. */
export function truncateReceived(text: string): string {
  if (text.length <= RECEIVED_MAX_CHARS) return text;
  // Never split a surrogate pair: the cut text stays valid UTF-16.
  const cut = isHighSurrogate(text.charCodeAt(RECEIVED_MAX_CHARS - 1)) ? RECEIVED_MAX_CHARS - 1 : RECEIVED_MAX_CHARS;
  return `${text.slice(0, cut)}…(+${text.length - cut} more)`;
}

function jsonText(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return RECEIVED_NOTHING;
    case "number":
      return String(value); // JSON would write NaN and Infinity as null
    case "bigint":
      return `${String(value)}n`;
    case "function":
    case "symbol":
      return `a ${typeof value}`;
    case "boolean":
    case "string":
    case "object":
      try {
        return JSON.stringify(value) ?? `a value JSON cannot write`;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return `a value JSON cannot write (${reason.split("\n")[0] ?? ""})`;
      }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
