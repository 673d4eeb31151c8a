/**
 * A position as a client writes it in a URL or a header (`?since=`, `Last-Event-ID`,
 * a session's `?since=`, history's `?before=`/`?after=`): decimal digits alone are a
 * protocol-1 seq (one number for the whole log), anything else must be a position
 * token (`<stream>:<seq>` pairs joined by `,`). What is neither is refused the same
 * way on every endpoint, with an issue naming the parameter, what it takes and what came.
 */
import { parsePosition, receivedText, type Issue, type Position } from "@events/schema";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string; readonly issues: readonly Issue[] };

const TOKEN = "a position token (<stream>:<seq> pairs joined by ',', a stream being a project uuid or '-', each named once)";

/** `text` as a position or a protocol-1 seq; `name` is the parameter, for the refusal. */
export function parseSince(name: string, text: string): Parsed<Position | number> {
  if (/^\d+$/.test(text)) {
    const seq = Number(text);
    if (text.length <= 16 && Number.isSafeInteger(seq)) return { ok: true, value: seq };
    return refused({ name, text, expected: "a protocol-1 seq (a safe non-negative integer)" });
  }
  const position = parsePosition(text);
  return position === undefined ? refused({ name, text, expected: `${TOKEN} or a protocol-1 seq` }) : { ok: true, value: position };
}

/** `text` as a position token only (history cursors): a protocol-1 seq is refused, saying `legacy`. */
export function parseToken(name: string, text: string, legacy: string): Parsed<Position> {
  if (/^\d+$/.test(text)) return refused({ name, text, expected: TOKEN, why: legacy });
  const position = parsePosition(text);
  return position === undefined ? refused({ name, text, expected: TOKEN }) : { ok: true, value: position };
}

/** The refusal of `text` for parameter `name`, with `why` after what was expected and received. */
function refused(input: { name: string; text: string; expected: string; why?: string }): { ok: false; message: string; issues: Issue[] } {
  const { name, text, expected, why } = input;
  const received = receivedText(text);
  const message = `${name}: expected ${expected}, received ${received}${why === undefined ? "" : `; ${why}`}`;
  return { ok: false, message, issues: [{ path: `/${name}`, expected, received, message }] };
}
