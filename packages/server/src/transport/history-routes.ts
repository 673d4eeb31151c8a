/**
 * `GET /api/v1/events?before=|after=&limit=&channel=&project=`: stored events a page
 * at a time (live delivery and resume are the streams' job). `before` reads
 * backwards, newest first (the dashboard's "older events"); `after` reads forwards,
 * each stream oldest first. The page is an `EventPage` `{events: [{stream, seq,
 * channel, event}], has_more, next}`; each `event` is the stored envelope text, sent
 * as stored. `next` is the position to ask with for the following page: the page's
 * last seq per stream folded into the one asked with, so paging has no gap and no
 * duplicate in any stream.
 */
import { formatPosition, type Issue, type Position } from "@events/schema";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { subscriptionAccess } from "../core/subscription-access.js";
import type { HubCore } from "../core/hub-core.js";
import type { StoredEvent } from "../store/records.js";
import { authorise } from "./http-auth.js";
import { errorBody } from "./http-errors.js";
import { parseToken } from "./position-param.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;
const LEGACY = "protocol-1 seqs are not history cursors any more: ask without before for the newest page, then page with each answer's next";

interface HistoryQuery {
  /** Read backwards from this position (newest first), or forwards after it. */
  readonly direction: "before" | "after";
  /** Undefined: `before` from the newest event. */
  readonly from: Position | undefined;
  readonly limit: number;
  readonly channel: string | undefined;
  readonly project: string | undefined;
}

export function historyRoutes(app: FastifyInstance, core: HubCore): void {
  app.get("/api/v1/events", async (request, reply) => {
    const principal = authorise({ core, request, reply }, { scope: "read" });
    if (principal === undefined) return reply;
    const query = parseQuery(request);
    if ("refused" in query) return reply.code(400).send(errorBody("bad_request", query.refused, query.issues === undefined ? {} : { issues: query.issues }));
    const access = subscriptionAccess(principal, query);
    if (!access.ok) return reply.code(access.code === "forbidden" ? 403 : 400).send(errorBody(access.code, access.message));
    const filter = { limit: query.limit + 1, channel: query.channel, project: access.project };
    let rows: StoredEvent[];
    let from: Position;
    if (query.direction === "after") {
      from = query.from ?? new Map();
      rows = await core.store.readAfter({ ...filter, after: from });
    } else {
      // The first page bounds every stream at its head now, so events stored while the
      // reader pages back show up at the top, never between older pages.
      from = query.from ?? aboveHeads(await core.store.streamHeads({ project: access.project }));
      rows = await core.store.readBefore({ ...filter, before: from });
    }
    const page = rows.slice(0, query.limit);
    // Per stream, the page holds the events next to `from`: the next page starts past the last of them.
    const next = new Map(from);
    const further = query.direction === "after" ? Math.max : Math.min;
    for (const row of page) next.set(row.stream, further(next.get(row.stream) ?? row.seq, row.seq));
    const events = page.map((row) => `{"stream":${JSON.stringify(row.stream)},"seq":${row.seq},"channel":${JSON.stringify(row.channel)},"event":${row.json}}`);
    return reply
      .header("content-type", "application/json; charset=utf-8")
      .header("cache-control", "no-store")
      .send(`{"events":[${events.join(",")}],"has_more":${rows.length > query.limit},"next":${JSON.stringify(formatPosition(next))}}`);
  });
}

/** `before` as the first page takes it: each stream up to its head. */
function aboveHeads(heads: Position): Map<string, number> {
  const position = new Map<string, number>();
  for (const [stream, head] of heads) position.set(stream, head + 1);
  return position;
}

interface Refused {
  readonly refused: string;
  readonly issues?: readonly Issue[];
}

function parseQuery(request: FastifyRequest): HistoryQuery | Refused {
  const query = request.query as Record<string, unknown>;
  const before = text(query["before"]);
  const after = text(query["after"]);
  const limit = integer(query["limit"]);
  const channel = text(query["channel"]);
  const project = text(query["project"]);
  if (before !== undefined && after !== undefined) return { refused: "before and after: send one of them, not both (before pages back, after pages forward)" };
  if (limit === null || (limit !== undefined && (limit < 1 || limit > MAX_LIMIT))) return { refused: `limit: expected an integer from 1 to ${MAX_LIMIT}` };
  if (channel !== undefined && (channel.length === 0 || channel.length > 256)) return { refused: "channel: expected 1 to 256 characters" };
  if (project !== undefined && (project.length === 0 || project.length > 256)) return { refused: "project: expected 1 to 256 characters" };
  const rest = { limit: limit ?? DEFAULT_LIMIT, channel, project };
  if (before === undefined && after === undefined) return { direction: "before", from: undefined, ...rest };
  const direction = before === undefined ? "after" : "before";
  const parsed = parseToken(direction, (before ?? after)!, LEGACY);
  if (!parsed.ok) return { refused: parsed.message, issues: parsed.issues };
  return { direction, from: parsed.value, ...rest };
}

/** undefined when absent, null when not a non-negative integer. */
function integer(value: unknown): number | undefined | null {
  const raw = text(value);
  if (raw === undefined) return undefined;
  return /^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : null;
}

function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === "string" ? value : undefined;
}
