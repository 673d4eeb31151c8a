/**
 * Positions in the hub's log. The log is split into streams, one per project (`-`
 * for events without a project); each stream numbers its events 1, 2, 3, ... with no
 * hole, so appends to different streams never wait for each other. A reader's
 * position is the last seq it has seen in each stream, written as a token:
 * `<stream>:<seq>` pairs joined by `,`, in stream order. A stream the token does not
 * name is read from its start, so the empty token is the start of everything. The
 * same token is the WebSocket `since`, the SSE `Last-Event-ID` and `?since=`, and
 * the history pages' cursor.
 */
import { POSITION_TOKEN_MAX_CHARS, STREAM_ID_PATTERN } from "./patterns.js";

/** The stream of events that carry no project. */
export const NO_PROJECT_STREAM = "-";

/** A position: the last seq seen, per stream. */
export type Position = ReadonlyMap<string, number>;

const STREAM_ID = new RegExp(STREAM_ID_PATTERN);

/** The stream an event belongs to: its `project_uuid`, or `-`. */
export function streamOf(project: string | null | undefined): string {
  return project === null || project === undefined || project === "" ? NO_PROJECT_STREAM : project;
}

/** The project of a stream (null for `-`). */
export function projectOfStream(stream: string): string | null {
  return stream === NO_PROJECT_STREAM ? null : stream;
}

export function isStreamId(value: unknown): value is string {
  return typeof value === "string" && STREAM_ID.test(value);
}

/** The token of a position: streams in code-unit order, streams at 0 left out. */
export function formatPosition(position: Position): string {
  const streams = [...position.keys()].sort();
  let token = "";
  for (const stream of streams) {
    const seq = position.get(stream)!;
    if (seq <= 0) continue;
    token += token === "" ? `${stream}:${seq}` : `,${stream}:${seq}`;
  }
  return token;
}

/** A token's position, or undefined when it is not one (malformed, too long, a stream twice). */
export function parsePosition(token: string): Map<string, number> | undefined {
  if (token.length > POSITION_TOKEN_MAX_CHARS) return undefined;
  const position = new Map<string, number>();
  if (token === "") return position;
  for (const pair of token.split(",")) {
    const colon = pair.lastIndexOf(":");
    if (colon <= 0) return undefined;
    const stream = pair.slice(0, colon);
    const digits = pair.slice(colon + 1);
    if (!/^[0-9]{1,15}$/.test(digits) || !STREAM_ID.test(stream) || position.has(stream)) return undefined;
    position.set(stream, Number(digits));
  }
  return position;
}

/** The seq last seen in `stream` (0: nothing yet). */
export function positionOf(position: Position, stream: string): number {
  return position.get(stream) ?? 0;
}
