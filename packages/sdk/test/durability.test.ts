/**
 * Durability and concurrency with real processes: an emit that returned ok survives
 * SIGKILL; many processes writing one home at once get unique, increasing Lamport
 * values and lose nothing; processes creating the project identity at once agree.
 */
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { collect, spawnChild, summaryOf } from "./helpers/child.js";
import { readOutbox } from "./helpers/queue-db.js";
import { tempWorkspace } from "./helpers/temp-dir.js";
import type { ChildConfig } from "./children/emitter-child.js";

/** Starts `count` children, waits until each is ready, then releases them at once. */
async function startTogether(count: number, config: ChildConfig) {
  const children = Array.from({ length: count }, () => spawnChild({ ...config, waitForGo: true }));
  const outputs = children.map((child) => collect(child));
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.stdout!.once("data", (chunk: Buffer) => (chunk.toString().startsWith("ready") ? resolve() : reject(new Error(String(chunk)))));
          child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
        }),
    ),
  );
  for (const child of children) child.stdin!.end("go\n");
  return Promise.all(outputs);
}

describe("durability", () => {
  it("keeps every event whose emit returned ok when the emitting process is killed with SIGKILL", async () => {
    const { home, projectRoot } = tempWorkspace();
    const child = spawnChild({ options: { home, projectRoot, project: null }, count: null, report: "ids" });
    child.stdin!.end();
    const killAfter = 1_000 + Math.floor(Math.random() * 2_000);
    const confirmed: string[] = [];
    const lines = createInterface({ input: child.stdout! });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
    for await (const line of lines) {
      if (line === "ready") continue;
      confirmed.push(line);
      if (confirmed.length === killAfter) child.kill("SIGKILL");
    }
    expect(await closed).toBe("SIGKILL");
    expect(confirmed.length).toBeGreaterThanOrEqual(killAfter);
    const stored = new Set(readOutbox(home).map((row) => row.event_id));
    const missing = confirmed.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
  });
});

describe("many processes, one home", () => {
  it("8 processes emitting 2,000 events each at once: 16,000 rows, 16,000 distinct clock values, increasing per process, no error", async () => {
    const { home, projectRoot } = tempWorkspace();
    const outputs = await startTogether(8, {
      // Eight writers on two shared cores: a generous busy timeout keeps an overloaded
      // machine from turning a slow lock into a failure (the bench runs the default).
      options: { home, projectRoot, project: null, busyTimeoutMs: 30_000 },
      count: 2_000,
      report: "summary",
      captureWarnings: true,
    });
    const summaries = outputs.map(summaryOf);
    for (const summary of summaries) {
      expect(summary.failures).toEqual([]);
      expect(summary.warnings).toEqual([]);
      expect(summary.durable).toBe(2_000);
      expect(summary.clocks.every((clock, i) => i === 0 || clock > summary.clocks[i - 1]!)).toBe(true);
    }
    const clocks = summaries.flatMap((summary) => summary.clocks);
    expect(new Set(clocks).size).toBe(16_000);
    const rows = readOutbox(home);
    expect(rows).toHaveLength(16_000);
    expect(new Set(rows.map((row) => row.lamport)).size).toBe(16_000);
    expect(new Set(rows.map((row) => row.lamport))).toEqual(new Set(clocks));
  });

  it("processes creating the project identity at once all end up with the same one", async () => {
    const { home, projectRoot } = tempWorkspace();
    const outputs = await startTogether(4, { options: { home, projectRoot }, count: 1, report: "summary", captureWarnings: true });
    const summaries = outputs.map(summaryOf);
    const uuids = new Set(summaries.map((summary) => summary.project?.uuid));
    expect(uuids.size).toBe(1);
    expect(summaries.every((summary) => summary.projectPersisted && summary.warnings.length === 0)).toBe(true);
    expect(new Set(readOutbox(home).map((row) => JSON.parse(row.data).project_uuid))).toEqual(uuids);
  });
});
