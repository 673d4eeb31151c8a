/**
 * A position as a client writes it in a URL or a header (`?since=`, `Last-Event-ID`):
 * decimal digits only, a safe integer, so `1e3`, `0x10`, `-1` and `` are refused the
 * same way on every endpoint instead of being read as some other number.
 */
import { receivedText } from "@events/schema";

export type SeqParam = { readonly ok: true; readonly seq: number } | { readonly ok: false; readonly message: string };

/** `text` as a seq, or a sentence naming `name`, what it takes and what came. */
export function parseSeq(name: string, text: string): SeqParam {
  const seq = Number(text);
  if (/^\d{1,16}$/.test(text) && Number.isSafeInteger(seq)) return { ok: true, seq };
  return { ok: false, message: `${name}: expected a seq (a non-negative integer), received ${receivedText(text)}` };
}
