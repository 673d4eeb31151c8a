/**
 * docs/protocol.md, written for clients in other languages, is held to the schema:
 * every frame of the live protocol (each ClientFrame and HubFrame `type`, each
 * SessionFrame and ProblemsFrame `kind`) is named in it and in the AsyncAPI export,
 * and every close code and error code is in it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, DEFAULT_LIMITS, ERROR_CODES, PROTOCOL_VERSION } from "@events/schema";
import { exportAsyncApi } from "@events/schema/export";
import { ClientFrame, HubFrame, membersByTag, ProblemsFrame, SessionFrame } from "@events/schema/typebox";

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
  components: { messages: Record<string, { name: string; payload: { $ref: string } }> };
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
