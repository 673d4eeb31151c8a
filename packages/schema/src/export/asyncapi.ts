/**
 * An AsyncAPI 3.0 document of the hub's channels and messages, built from the same
 * definitions as the JSON Schema export. AsyncAPI's schema dialect is draft-07 based,
 * so references point into `components.schemas` and `discriminator` is the tag's name.
 */
import { PROTOCOL_VERSION, SCHEMA_VERSION } from "../constants.js";
import { MESSAGES, UNIONS, membersByTag } from "../schemas/registry.js";
import { SSE_EVENT_DATA } from "../schemas/protocol/sse.js";
import { collectTitled, referenceNamed, type JsonSchema } from "../schemas/primitives/definitions.js";

const ref = (path: string): { $ref: string } => ({ $ref: path });

/** A message whose payload is the named schema. */
function message(title: string, description?: string): JsonSchema {
  return {
    name: title,
    title,
    ...(description === undefined ? {} : { description }),
    contentType: "application/json",
    payload: ref(`#/components/schemas/${title}`),
  };
}

export function exportAsyncApi(): JsonSchema {
  const all = new Map<string, unknown>();
  for (const { schema } of [...UNIONS, ...MESSAGES]) collectTitled(JSON.parse(JSON.stringify(schema)), all);
  const names = new Set(all.keys());
  const schemas = Object.fromEntries(
    [...all.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([title, definition]) => [
        title,
        toAsyncApiSchema(referenceNamed(definition, { names, refFor: (name) => `#/components/schemas/${name}` })),
      ]),
  );

  const messages: Record<string, JsonSchema> = {};
  const messageRefs = (union: string): Record<string, { $ref: string }> => {
    const entry = UNIONS.find((candidate) => candidate.name === union);
    if (entry === undefined) throw new Error(`no union ${union}`);
    const out: Record<string, { $ref: string }> = {};
    for (const [tag, title] of membersByTag(entry.schema)) {
      messages[title] ??= message(title);
      out[tag.replace(/[^A-Za-z0-9_]/g, "_")] = ref(`#/components/messages/${title}`);
    }
    return out;
  };
  const clientMessages = messageRefs("ClientFrame");
  const hubMessages = messageRefs("HubFrame");
  const sessionMessages = messageRefs("SessionFrame");
  const problemsMessages = messageRefs("ProblemsFrame");
  messages["Envelope"] = message("Envelope");
  // The stream's control events, keyed by their `event:` name.
  const streamMessages: Record<string, { $ref: string }> = { envelope: ref("#/components/messages/Envelope") };
  for (const [event, schema] of Object.entries(SSE_EVENT_DATA)) {
    const title = String(schema.title);
    messages[title] = message(title, `The data of \`event: ${event}\` on the SSE stream.`);
    streamMessages[event] = ref(`#/components/messages/${title}`);
  }

  const channels = {
    hub: {
      address: "/api/v1/ws",
      title: "Hub protocol",
      description: `Publish with per-event acks, subscribe with resume (protocol ${PROTOCOL_VERSION}).`,
      servers: [ref("#/servers/websocket")],
      messages: { ...clientMessages, ...hubMessages },
    },
    session: {
      address: "/api/v1/sessions/{sessionId}/events",
      title: "Session channel",
      description: "One session's frames; closed after done or failed.",
      servers: [ref("#/servers/websocket")],
      parameters: { sessionId: { description: "The session id." } },
      messages: sessionMessages,
    },
    problems: {
      address: "/api/v1/problems/events",
      title: "Problems channel",
      description: "A snapshot on join, then deltas keyed by (rule, offending_path).",
      servers: [ref("#/servers/websocket")],
      messages: problemsMessages,
    },
    stream: {
      address: "/api/events",
      title: "Server-Sent Events",
      description:
        "Named frames `event: <event_type>`, `id: <seq>`, the envelope as data; resumable with Last-Event-ID or ?since=. " +
        "Control events `ready`, `reset`, `gap` and `end` carry the data named after them; `: keep-alive` comments carry nothing.",
      servers: [ref("#/servers/http")],
      messages: streamMessages,
    },
  };
  const operation = (action: "send" | "receive", channel: keyof typeof channels, keys: string[]) => ({
    action,
    channel: ref(`#/channels/${channel}`),
    messages: keys.map((key) => ref(`#/channels/${channel}/messages/${key}`)),
  });

  return {
    asyncapi: "3.0.0",
    info: {
      title: "@events hub",
      version: SCHEMA_VERSION,
      description: "Typed events that are never lost and are seen live everywhere.",
    },
    defaultContentType: "application/json",
    servers: {
      websocket: { host: "127.0.0.1:8787", protocol: "ws", description: "The hub's WebSocket endpoints." },
      http: { host: "127.0.0.1:8787", protocol: "http", description: "The hub's HTTP endpoints." },
    },
    channels,
    operations: {
      sendToHub: operation("send", "hub", Object.keys(clientMessages)),
      receiveFromHub: operation("receive", "hub", Object.keys(hubMessages)),
      receiveSessionFrames: operation("receive", "session", Object.keys(sessionMessages)),
      receiveProblemsFrames: operation("receive", "problems", Object.keys(problemsMessages)),
      receiveStream: operation("receive", "stream", Object.keys(streamMessages)),
    },
    components: { schemas, messages },
  };
}

/** `discriminator: { propertyName }` becomes AsyncAPI's `discriminator: "<propertyName>"`. */
function toAsyncApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toAsyncApiSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "discriminator" && value !== null && typeof value === "object") {
      out[key] = (value as { propertyName: string }).propertyName;
    } else {
      out[key] = toAsyncApiSchema(value);
    }
  }
  return out;
}
