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
  TokenRecord,
} from "./records.js";
import type { Flavour } from "./migrations.js";

export interface HubStore {
  readonly flavour: Flavour;
  /** Stores a batch in one transaction; one outcome per event, in order. */
  append(events: readonly PreparedEvent[], receivedAt: string): Promise<AppendOutcome[]>;
  /** Events after a position, oldest first. */
  readAfter(query: ReadQuery): Promise<StoredEvent[]>;
  /** Events before a position, newest first (history read backwards, for the dashboard). */
  readBefore(query: ReadBeforeQuery): Promise<StoredEvent[]>;
  /** The newest `seq` (committed, on PostgreSQL the counter), or 0 when empty. */
  headSeq(): Promise<number>;
  /** The oldest `seq` still kept, or undefined when empty. */
  oldestSeq(): Promise<number | undefined>;
  /** The highest Lamport value stored, or 0. */
  maxLamport(): Promise<number>;
  session(sessionId: string): Promise<SessionRecord | undefined>;
  latestProblems(): Promise<ProblemsRecord[]>;
  machineEvents(query: { target?: string; status?: "pending" | "processed"; limit: number }): Promise<MachineEventRecord[]>;
  /** Marks a pending machine event processed; false when it was not pending (another hub claimed it). */
  markMachineProcessed(seq: number, at: string): Promise<boolean>;
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
  /** Deletes all but the newest `keep` events and raises the watermark in the same transaction; returns how many went. */
  prune(keep: number): Promise<number>;
  /** The retention watermark: events up to this seq were pruned (0 when none were). */
  prunedThrough(): Promise<number>;
  close(): Promise<void>;
}
