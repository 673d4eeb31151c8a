/** The single writer: group commit, answers only after the commit, nothing published on failure. */
import { describe, expect, it } from "vitest";
import type { HubStore } from "../src/store/hub-store.js";
import type { AppendOutcome, PreparedEvent } from "../src/store/records.js";
import { WriteQueue, type CommittedEvent } from "../src/store/write-queue.js";

function prepared(id: string, stream = "-"): PreparedEvent {
  const project = stream === "-" ? null : stream;
  return { envelope: {} as PreparedEvent["envelope"], json: "{}", eventId: id, project, stream, channel: "events", eventType: "WPAssigned", lamport: 1, nodeId: "n" };
}

/** Numbers each stream's events from 1, as the real stores do. */
class FakeStore {
  calls: string[][] = [];
  heads = new Map<string, number>();
  known = new Map<string, AppendOutcome>();
  gate: Promise<void> = Promise.resolve();
  fail = false;
  append(events: readonly PreparedEvent[]): Promise<AppendOutcome[]> {
    this.calls.push(events.map((event) => event.eventId));
    return this.gate.then(() => {
      if (this.fail) throw new Error("disk full");
      return events.map((event): AppendOutcome => {
        const existing = this.known.get(event.eventId);
        if (existing !== undefined) return { ...existing, inserted: false };
        const seq = (this.heads.get(event.stream) ?? 0) + 1;
        this.heads.set(event.stream, seq);
        this.known.set(event.eventId, { stream: event.stream, seq, inserted: true });
        return { stream: event.stream, seq, inserted: true };
      });
    });
  }
}

function queue(store: FakeStore, maxBatch = 100, maxBatchBytes?: number) {
  const committed: CommittedEvent[][] = [];
  const writer = new WriteQueue({
    store: store as unknown as HubStore,
    maxBatch,
    ...(maxBatchBytes === undefined ? {} : { maxBatchBytes }),
    onCommitted: (events) => committed.push([...events]),
  });
  return { writer, committed };
}

describe("write queue", () => {
  it("writes everything submitted in one turn in one transaction, answering each submitter its part", async () => {
    const store = new FakeStore();
    const { writer, committed } = queue(store);
    const [a, b, c] = await Promise.all([writer.submit([prepared("a"), prepared("b")]), writer.submit([prepared("c")]), writer.submit([prepared("a")])]);
    expect(store.calls).toEqual([["a", "b", "c", "a"]]);
    expect(a).toEqual([{ stream: "-", seq: 1, inserted: true }, { stream: "-", seq: 2, inserted: true }]);
    expect(b).toEqual([{ stream: "-", seq: 3, inserted: true }]);
    expect(c).toEqual([{ stream: "-", seq: 1, inserted: false }]);
    expect(committed.map((batch) => batch.map((event) => event.seq))).toEqual([[1, 2, 3]]);
  });

  it("hands onCommitted each new event with its stream and seq, in storage order, each stream in seq order", async () => {
    const store = new FakeStore();
    const { writer, committed } = queue(store);
    await Promise.all([writer.submit([prepared("b1", "B"), prepared("b2", "B")]), writer.submit([prepared("a1", "A"), prepared("b1", "B"), prepared("b3", "B")])]);
    expect(committed.flat().map(({ event, stream, seq }) => [event.eventId, stream, seq])).toEqual([
      ["b1", "B", 1],
      ["b2", "B", 2],
      ["a1", "A", 1],
      ["b3", "B", 3],
    ]);
  });

  it("answers nobody before the commit, and batches what arrives meanwhile", async () => {
    const store = new FakeStore();
    let open: () => void = () => undefined;
    store.gate = new Promise((resolve) => (open = resolve));
    const { writer, committed } = queue(store);
    let answered = false;
    const first = writer.submit([prepared("a")]).then((outcome) => {
      answered = true;
      return outcome;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const second = writer.submit([prepared("b")]);
    const third = writer.submit([prepared("c")]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    expect(committed).toEqual([]);
    expect(writer.depth).toBe(2);
    open();
    await Promise.all([first, second, third]);
    expect(store.calls).toEqual([["a"], ["b", "c"]]);
    expect(committed.flat().map((event) => event.seq)).toEqual([1, 2, 3]);
  });

  it("fails every submitter of a failed transaction and publishes nothing", async () => {
    const store = new FakeStore();
    store.fail = true;
    const { writer, committed } = queue(store);
    const results = await Promise.allSettled([writer.submit([prepared("a")]), writer.submit([prepared("b")])]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect(committed).toEqual([]);
    store.fail = false;
    expect(await writer.submit([prepared("c")])).toEqual([{ stream: "-", seq: 1, inserted: true }]);
  });

  it("caps a transaction at maxBatch events (whole submissions) and drains on request", async () => {
    const store = new FakeStore();
    const { writer } = queue(store, 3);
    const pending = [writer.submit([prepared("a"), prepared("b")]), writer.submit([prepared("c"), prepared("d")]), writer.submit([prepared("e")])];
    await writer.drain();
    await Promise.all(pending);
    expect(store.calls).toEqual([["a", "b"], ["c", "d", "e"]]);
    expect(writer.depth).toBe(0);
  });

  it("caps a transaction by bytes too, so one commit never overflows a subscriber queue", async () => {
    const store = new FakeStore();
    const { writer } = queue(store, 100, 5); // each test event's JSON is 2 bytes
    await Promise.all([writer.submit([prepared("a"), prepared("b")]), writer.submit([prepared("c")]), writer.submit([prepared("d"), prepared("e"), prepared("f")])]);
    expect(store.calls).toEqual([["a", "b"], ["c"], ["d", "e", "f"]]);
  });
});
