/**
 * The page's live stream against a real hub (in this process, @events/client's Node
 * entry; the browser tests run the same module over Chromium's WebSocket): what is
 * stored after `since` (a position token) and what comes live arrive in batches,
 * each event once, in `seq` order in its stream; live only starts at the position
 * the hub answers; the states the indicator shows; a forbidden project and a refused
 * token stop it; after `stop()` nothing reaches the page.
 */
import { describe, expect, it, vi } from "vitest";
import type { ConnectionState } from "../src/net/connection-state.js";
import { LiveClient, type LiveClientOptions } from "../src/net/live-client.js";
import type { LiveEvent } from "../src/state/live-event.js";
import { PROJECT, emitter, inProcessHub, onCleanup, readToken } from "./browser/harness.js";

const OTHER_PROJECT = "0b7e9c1d-2f3a-4b5c-8d6e-7f8091a2b3c4";

interface Recorded {
  readonly batches: (readonly LiveEvent[])[];
  readonly states: ConnectionState[];
  readonly notices: string[];
  readonly subscribed: string[];
  readonly client: LiveClient;
}

function live(options: Pick<LiveClientOptions, "url" | "token" | "since"> & { project?: string }): Recorded {
  const recorded = { batches: [] as (readonly LiveEvent[])[], states: [] as ConnectionState[], notices: [] as string[], subscribed: [] as string[] };
  const client = new LiveClient({
    project: undefined,
    ...options,
    onEvents: (events) => recorded.batches.push(events),
    onSubscribed: (position) => recorded.subscribed.push(position),
    onState: (state) => recorded.states.push(state),
    onRestart: () => recorded.notices.push("restart"),
    onNotice: (notice) => recorded.notices.push(notice),
  });
  onCleanup(() => client.stop());
  client.start();
  return { ...recorded, client };
}

async function emitMessages(url: string, from: number, count: number): Promise<string[]> {
  const sdk = emitter(url);
  const ids: string[] = [];
  for (let n = from; n < from + count; n++) {
    const sent = sdk.sendMachineEvent({ target: "ui", type: "activity_log", payload: { message: `event ${n}` } });
    if (!sent.ok) throw new Error(`emit failed: ${JSON.stringify(sent)}`);
    ids.push(sent.event.event_id);
  }
  await sdk.syncNow();
  return ids;
}

describe("the page's live stream", () => {
  it("replays after since, then goes live: batched, each event once, in seq order", async () => {
    const hub = await inProcessHub();
    const stored = await emitMessages(hub.url, 1, 300);
    const stream = live({ url: hub.url, token: await readToken(hub.url), since: `${PROJECT.uuid}:100` });
    const seqs = () => stream.batches.flat().map((event) => event.seq);
    await vi.waitFor(() => expect(seqs()).toHaveLength(200), { timeout: 15_000 });
    expect(stream.states[0]).toEqual({ status: "connecting", reason: "connecting" });
    expect(stream.states).toContainEqual({ status: "connecting", reason: "subscribing" });
    expect(stream.states.at(-1)).toMatchObject({ status: "live" });
    // A replay of 200 renders in a few batches, not 200 times.
    expect(stream.batches.length).toBeLessThan(50);

    const more = await emitMessages(hub.url, 301, 5);
    await vi.waitFor(() => expect(seqs()).toHaveLength(205), { timeout: 15_000 });
    expect(seqs()).toEqual(Array.from({ length: 205 }, (_, index) => 101 + index));
    expect(stream.batches.flat().map((event) => event.event.event_id)).toEqual([...stored.slice(100), ...more]);
    expect(stream.batches.flat().every((event) => event.stream === PROJECT.uuid)).toBe(true);
    expect(stream.subscribed).toEqual([`${PROJECT.uuid}:100`]);
    expect(stream.notices).toEqual([]);
  });

  it("live only: the hub's subscribed names each stream's newest seq, and delivery continues after it", async () => {
    const hub = await inProcessHub();
    await emitMessages(hub.url, 1, 5);
    const stream = live({ url: hub.url, token: await readToken(hub.url) });
    await vi.waitFor(() => expect(stream.subscribed).toEqual([`${PROJECT.uuid}:5`]), { timeout: 15_000 });
    await emitMessages(hub.url, 6, 2);
    await vi.waitFor(() => expect(stream.batches.flat().map((event) => event.seq)).toEqual([6, 7]), { timeout: 15_000 });
  });

  it("stops as forbidden when the token may not read the project, and as unauthorized when the hub refuses the token", async () => {
    const hub = await inProcessHub();
    const forbidden = live({ url: hub.url, token: await readToken(hub.url), since: "", project: OTHER_PROJECT });
    await vi.waitFor(() => expect(forbidden.states.at(-1)?.status).toBe("forbidden"), { timeout: 15_000 });
    const refused = live({ url: hub.url, token: "not-a-token", since: "" });
    await vi.waitFor(() => expect(refused.states.at(-1)?.status).toBe("unauthorized"), { timeout: 15_000 });
    expect(refused.states.map((state) => state.status)).toEqual(["connecting", "unauthorized"]);
  });

  it("after stop(), nothing reaches the page", async () => {
    const hub = await inProcessHub();
    const stream = live({ url: hub.url, token: await readToken(hub.url), since: "" });
    await vi.waitFor(() => expect(stream.states.at(-1)?.status).toBe("live"), { timeout: 15_000 });
    stream.client.stop();
    expect(stream.states.at(-1)).toEqual({ status: "stopped", reason: "stopped" });
    const statesAtStop = stream.states.length;
    await emitMessages(hub.url, 1, 3);
    // A second reader shows the events were there to deliver.
    const witness = live({ url: hub.url, token: await readToken(hub.url), since: "" });
    await vi.waitFor(() => expect(witness.batches.flat()).toHaveLength(3), { timeout: 15_000 });
    expect(stream.batches).toEqual([]);
    expect(stream.states).toHaveLength(statesAtStop);
  });
});
