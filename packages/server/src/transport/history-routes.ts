/**
 * `GET /api/v1/events?before=&limit=&channel=&project=`: history read backwards,
 * newest first, for the dashboard's "older events" (live delivery and resume are
 * the streams' job). The page is an `EventPage` `{events: [{seq, channel, event}],
 * has_more}`; each `event` is the stored envelope text, sent as stored.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { subscriptionAccess } from "../core/subscription-access.js";
import type { HubCore } from "../core/hub-core.js";
import { authorise } from "./http-auth.js";
import { errorBody } from "./http-errors.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

interface HistoryQuery {
  readonly before: number | undefined;
  readonly limit: number;
  readonly channel: string | undefined;
  readonly project: string | undefined;
}

export function historyRoutes(app: FastifyInstance, core: HubCore): void {
  app.get("/api/v1/events", async (request, reply) => {
    const principal = authorise({ core, request, reply }, { scope: "read" });
    if (principal === undefined) return reply;
    const query = parseQuery(request);
    if (typeof query === "string") return reply.code(400).send(errorBody("bad_request", query));
    const access = subscriptionAccess(principal, query);
    if (!access.ok) return reply.code(access.code === "forbidden" ? 403 : 400).send(errorBody(access.code, access.message));
    const rows = await core.store.readBefore({
      beforeSeq: query.before ?? Number.MAX_SAFE_INTEGER,
      limit: query.limit + 1,
      channel: query.channel,
      project: access.project,
    });
    const page = rows.slice(0, query.limit);
    const events = page.map((row) => `{"seq":${row.seq},"channel":${JSON.stringify(row.channel)},"event":${row.json}}`);
    return reply
      .header("content-type", "application/json; charset=utf-8")
      .header("cache-control", "no-store")
      .send(`{"events":[${events.join(",")}],"has_more":${rows.length > query.limit}}`);
  });
}

function parseQuery(request: FastifyRequest): HistoryQuery | string {
  const query = request.query as Record<string, unknown>;
  const before = integer(query["before"]);
  const limit = integer(query["limit"]);
  const channel = text(query["channel"]);
  const project = text(query["project"]);
  if (before === null || (before !== undefined && before < 1)) return "before: expected a seq (a positive integer)";
  if (limit === null || (limit !== undefined && (limit < 1 || limit > MAX_LIMIT))) return `limit: expected an integer from 1 to ${MAX_LIMIT}`;
  if (channel !== undefined && (channel.length === 0 || channel.length > 256)) return "channel: expected 1 to 256 characters";
  if (project !== undefined && (project.length === 0 || project.length > 256)) return "project: expected 1 to 256 characters";
  return { before, limit: limit ?? DEFAULT_LIMIT, channel, project };
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
