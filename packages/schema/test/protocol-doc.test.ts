/**
 * docs/protocol.md, written for clients in other languages, is held to the schema:
 * every frame of the live protocol (each ClientFrame and HubFrame `type`, each
 * SessionFrame and ProblemsFrame `kind`, each SSE control event with its data's
 * fields and each `end` reason) is named in it and in the AsyncAPI export, and every
 * close code and error code is in it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, DEFAULT_LIMITS, ERROR_CODES, PROTOCOL_VERSION, SSE_END_REASONS, SSE_EVENTS } from "@events/schema";
import { exportAsyncApi } from "@events/schema/export";
import { ClientFrame, GapFrame, HubFrame, membersByTag, ProblemsFrame, SessionFrame, SSE_EVENT_DATA } from "@events/schema/typebox";

const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");

type Union = Parameters<typeof membersByTag>[0];

/** The tag values of a tagged union, with the title of each member. */
function members(union: Union): { tag: string; title: string }[] {
  return [...membersByTag(union)].map(([tag, title]) => ({ tag, title }));
}

/** Which AsyncAPI channel carries each union's frames (see src/export/asyncapi.ts). */
const UNIONS: readonly { name: string; union: Union; channel: string }[] = [
  { name: "ClientFrame", union: ClientFrame, channel: "hub" },
  { name: "HubFrame", union: HubFrame, channel: "hub" },
  { name: "SessionFrame", union: SessionFrame, channel: "session" },
  { name: "ProblemsFrame", union: ProblemsFrame, channel: "problems" },
];

type Refs = Record<string, { $ref: string }>;
const asyncApi = exportAsyncApi() as {
  channels: Record<string, { messages: Refs }>;
  operations: Record<string, { channel: { $ref: string }; messages: { $ref: string }[] }>;
  components: { messages: Record<string, { name: string; payload: { $ref: string } }>; schemas: Record<string, unknown> };
};

describe("docs/protocol.md", () => {
  for (const { name, union, channel } of UNIONS) {
    const frames = members(union);

    it(`names every ${name} (${frames.map((frame) => frame.tag).join(", ")}) as a backticked name`, () => {
      expect(frames.length).toBeGreaterThan(0);
      const missing = frames.filter(({ tag }) => !doc.includes(`\`${tag}\``)).map(({ tag }) => tag);
      expect(missing, `${name} members not in docs/protocol.md`).toEqual([]);
    });

    it(`finds every ${name} in the AsyncAPI export, on its channel "${channel}"`, () => {
      const messages = asyncApi.channels[channel]?.messages ?? {};
      for (const { tag, title } of frames) {
        // Channel messages are keyed by the tag (characters other than [A-Za-z0-9_] as `_`)
        // and point at components.messages, which are named by the member's title.
        const key = tag.replace(/[^A-Za-z0-9_]/g, "_");
        expect(messages[key], `${name} "${tag}" on channel ${channel}`).toEqual({ $ref: `#/components/messages/${title}` });
        const message = asyncApi.components.messages[title];
        expect(message?.name, `components.messages.${title}`).toBe(title);
        expect(message?.payload).toEqual({ $ref: `#/components/schemas/${title}` });
      }
    });
  }

  describe("the SSE stream's control events", () => {
    const controls = Object.entries(SSE_EVENT_DATA).map(([event, schema]) => ({
      event,
      title: String(schema.title),
      fields: Object.keys(schema.properties),
    }));

    it("has a data schema for every name in SSE_EVENTS", () => {
      expect(Object.keys(SSE_EVENT_DATA).sort()).toEqual(Object.values(SSE_EVENTS).sort());
    });

    it("gives each a row, `event: <name>`, naming its data's fields", () => {
      for (const { event, fields } of controls) {
        const row = doc.split("\n").find((line) => line.startsWith(`| \`event: ${event}\` |`));
        expect(row, `a table row for ${event}`).toBeDefined();
        for (const field of fields) expect(row, `${event}.${field}`).toContain(`\`${field}\``);
      }
    });

    it("gives every end reason", () => {
      for (const reason of SSE_END_REASONS) expect(doc, `end reason ${reason}`).toContain(`\`${reason}\``);
    });

    it("finds each on the AsyncAPI channel \"stream\", keyed by its event name, with its data schema", () => {
      const messages = asyncApi.channels["stream"]?.messages ?? {};
      const received = asyncApi.operations["receiveStream"]?.messages.map((message) => message.$ref) ?? [];
      for (const { event, title } of controls) {
        expect(messages[event], `stream message ${event}`).toEqual({ $ref: `#/components/messages/${title}` });
        expect(asyncApi.components.messages[title]?.payload).toEqual({ $ref: `#/components/schemas/${title}` });
        expect(asyncApi.components.schemas[title], `components.schemas.${title}`).toBeDefined();
        expect(received).toContain(`#/channels/stream/messages/${event}`);
      }
    });
  });

  it("says gap's bus_gap is reserved (never sent), here and in the schema, and keeps it valid", () => {
    const reason = GapFrame.properties.reason;
    expect(reason.enum).toContain("bus_gap");
    expect(reason.description).toMatch(/bus_gap is reserved/);
    expect(doc).toMatch(/`bus_gap` is reserved/);
  });

  it("gives every close code with its name", () => {
    for (const [name, code] of Object.entries(CLOSE_CODES)) {
      expect(doc, `close code ${name}`).toMatch(new RegExp(`\\| ${code} \\| \`${name}\` \\|`));
    }
  });

  it("gives every error code", () => {
    for (const code of ERROR_CODES) expect(doc, `error code ${code}`).toContain(`| \`${code}\` |`);
  });

  it("states the protocol version and the default limits", () => {
    expect(doc).toContain(`"protocol":${PROTOCOL_VERSION}`);
    for (const [limit, value] of Object.entries(DEFAULT_LIMITS)) {
      expect(doc, limit).toMatch(new RegExp(`\\| \`${limit}\` \\| ${value.toLocaleString("en-US")}\\b`));
    }
  });
});
