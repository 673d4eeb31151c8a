/** The shapes that cross the store's edge: what goes in, what comes back. */
import type { Envelope, Position } from "@events/schema";

/** An event decoded, authorised and serialised once, ready to store. */
export interface PreparedEvent {
  readonly envelope: Envelope;
  /** The canonical envelope as JSON text: stored, replayed and framed as is. */
  readonly json: string;
  readonly eventId: string;
  readonly project: string | null;
  /** The event's stream: `streamOf(project)` (the project uuid, or `-`). */
  readonly stream: string;
  readonly channel: string;
  readonly eventType: string;
  readonly lamport: number;
  readonly nodeId: string;
}

/** An event as read back from the store. */
export interface StoredEvent {
  /** The event's stream (`streamOf(project)`). */
  readonly stream: string;
  /** The event's number in its stream, from 1, without holes. */
  readonly seq: number;
  readonly eventId: string;
  readonly project: string | null;
  readonly channel: string;
  readonly eventType: string;
  readonly json: string;
  /** The envelope's Lamport clock value, when read back with the event. */
  readonly lamport?: number;
}

export interface AppendOutcome {
  readonly stream: string;
  /** The event's number in its stream (the stored one, for a duplicate). */
  readonly seq: number;
  /** False when the `event_id` was already stored (a duplicate). */
  readonly inserted: boolean;
}

/** What a read keeps: at most `limit` events, of one channel or project when given. */
export interface EventFilter {
  readonly limit: number;
  /** A channel or a `prefix:*` pattern; all channels when absent. */
  readonly channel?: string | undefined;
  /** One project's events; every project's when absent. */
  readonly project?: string | undefined;
}

export interface ReadQuery extends EventFilter {
  /** Events after this position: in each stream, seqs above its entry (a stream not named: from 1). */
  readonly after: Position;
}

export interface ReadBeforeQuery extends EventFilter {
  /** Events before this position: in each stream named, seqs below its entry; streams not named are not bounded. */
  readonly before: Position;
}

export interface SessionRecord {
  readonly sessionId: string;
  readonly project: string | null;
  readonly status: "open" | "done" | "failed";
  /** Seqs of the session's first and latest frames, in its project's stream. */
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface ProblemsRecord {
  /** The project uuid, or "" for events without a project. */
  readonly projectKey: string;
  /** The snapshot's seq in its project's stream (0: the snapshot event was pruned before streams). */
  readonly seq: number;
  readonly auditAt: string;
  readonly findingsJson: string;
}

export interface MachineEventRecord {
  /** The event's storage row id (not its stream seq): what `markMachineProcessed` takes. */
  readonly seq: number;
  readonly source: string;
  readonly target: string;
  readonly type: string;
  readonly jobId: string | null;
  readonly payloadJson: string;
  readonly status: "pending" | "processed";
  readonly createdAt: string;
  readonly processedAt: string | null;
}

export interface TokenRecord {
  readonly id: string;
  readonly project: string;
  readonly scopes: readonly ("read" | "write")[];
  readonly tokenHash: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export function projectKey(project: string | null): string {
  return project ?? "";
}

/** Where a stored event is: its stream and its number there. */
export interface StreamSeq {
  readonly stream: string;
  readonly seq: number;
}

/**
 * One outcome per submitted event, in order: the first occurrence of an id that this
 * append stored is `inserted` (in the event's stream, at its new seq); repeats within
 * the batch and ids stored before are duplicates answered with the stored stream and seq.
 */
export function appendOutcomes(
  events: readonly PreparedEvent[],
  stored: { readonly inserted: ReadonlyMap<string, number>; readonly known: ReadonlyMap<string, StreamSeq> },
): AppendOutcome[] {
  const claimed = new Set<string>();
  return events.map((event): AppendOutcome => {
    const seq = stored.inserted.get(event.eventId);
    if (seq !== undefined) {
      const inserted = !claimed.has(event.eventId);
      claimed.add(event.eventId);
      return { stream: event.stream, seq, inserted };
    }
    const existing = stored.known.get(event.eventId);
    if (existing === undefined) throw new Error(`event ${event.eventId} neither inserted nor found`);
    return { stream: existing.stream, seq: existing.seq, inserted: false };
  });
}
