/**
 * What the hub asks of its storage, and nothing more: the write queue appends, the
 * subscription code reads history, auth keeps tokens. One implementation
 * (KyselyStore) serves SQLite and PostgreSQL with the same queries.
 */
import type {
  AppendOutcome,
  MachineEventRecord,
  PreparedEvent,
  ProblemsRecord,
  ReadBeforeQuery,
  ReadQuery,
  SessionRecord,
  StoredEvent,
  StreamSeq,
  TokenRecord,
} from "./records.js";
import type { Flavour } from "./migrations.js";

export interface HubStore {
  readonly flavour: Flavour;
  /** Stores a batch in one transaction; one outcome per event, in order. */
  append(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]>;
  /**
   * Events after a position, at most `limit`: each stream's in seq order (streams one
   * after another, or interleaved in storage order; never a stream's seq out of order).
   */
  readAfter(query: ReadQuery): Promise<StoredEvent[]>;
  /** Events before a position, newest first in storage order (history read backwards, for the dashboard). */
  readBefore(query: ReadBeforeQuery): Promise<StoredEvent[]>;
  /** Each stream's newest committed seq (of one project's stream when given); streams never written are absent. */
  streamHeads(query?: { readonly project?: string | undefined }): Promise<Map<string, number>>;
  /**
   * A protocol-1 position (one seq for the whole log, from before streams) as a
   * per-stream position: the newest stream seq of each stream at or below it.
   * Undefined when `seq` is above the last protocol-1 seq (it names nothing this
   * store handed out) or below the protocol-1 retention watermark (events after it
   * were pruned before streams, so nothing says how many each stream lost).
   */
  legacyPosition(seq: number): Promise<Map<string, number> | undefined>;
  /** The highest Lamport value stored, or 0. */
  maxLamport(): Promise<number>;
  session(sessionId: string): Promise<SessionRecord | undefined>;
  latestProblems(): Promise<ProblemsRecord[]>;
  machineEvents(query: { target?: string; status?: "pending" | "processed"; limit: number }): Promise<MachineEventRecord[]>;
  /**
   * Marks a pending machine event processed; false when it was not pending (another
   * hub claimed it) or is not stored. The event is named by its record's `seq` (its
   * storage row id) or by where it is in its stream (what delivery knows of it).
   */
  markMachineProcessed(event: number | StreamSeq, at: string): Promise<boolean>;
  /** One token by id or digest, revoked or not (for hubs that learn of tokens made by another hub). */
  token(query: { id: string } | { tokenHash: string }): Promise<TokenRecord | undefined>;
  insertToken(token: TokenRecord): Promise<void>;
  listTokens(): Promise<TokenRecord[]>;
  /** Marks a token revoked; false when no live token has that id. */
  revokeToken(id: string, at: string): Promise<boolean>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one; returns the stored value (the first writer's, when hubs race). */
  claimMeta(key: string, value: string): Promise<string>;
  /** Deletes all but the newest `keep` events (in storage order) and raises each stream's watermark in the same transaction; returns how many went. */
  prune(keep: number): Promise<number>;
  /** The retention watermark per stream: events up to its seq were pruned (streams never pruned are absent). */
  prunedThrough(): Promise<Map<string, number>>;
  close(): Promise<void>;
}
