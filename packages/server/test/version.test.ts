import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SEMVER_PATTERN } from "@events/schema";
import { testHub } from "./helpers/hub.js";
import { TestSocket } from "./helpers/ws-client.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

describe("the hub's version", () => {
  it("is the package's released version, in welcome and /healthz", async () => {
    expect(version).toMatch(new RegExp(SEMVER_PATTERN));
    expect(version).not.toBe("0.0.0"); // the unreleased placeholder a hub once reported
    const hub = await testHub();
    const socket = await TestSocket.open(`${hub.wsUrl}/api/v1/ws`);
    expect((await socket.hello(hub.admin)).hub_version).toBe(version);
    expect(await (await fetch(`${hub.url}/healthz`)).json()).toMatchObject({ version });
  });
});
