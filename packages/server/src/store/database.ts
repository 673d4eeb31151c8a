/**
 * The tables the hub keeps, as kysely sees them. One set of types serves SQLite and
 * PostgreSQL: times are ISO 8601 text and JSON is text, so both dialects return the
 * same rows and the hub can send stored bytes without serialising them again.
 */
import type { Generated } from "kysely";

export interface EventsTable {
  /** The hub's monotonic position; one per stored event. */
  seq: Generated<number>;
  event_id: string;
  project_uuid: string | null;
  channel: string;
  event_type: string;
  lamport_clock: number;
  node_id: string;
  /** The envelope, serialised once at ingest (canonical JSON text). */
  envelope: string;
  received_at: string;
}

export interface MachineEventsTable {
  id: Generated<number>;
  seq: number;
  source_machine: string;
  target_machine: string;
  event_type: string;
  job_id: string | null;
  payload: string;
  status: "pending" | "processed";
  created_at: string;
  processed_at: string | null;
}

export interface SessionsTable {
  session_id: string;
  project_uuid: string | null;
  status: "open" | "done" | "failed";
  first_seq: number;
  last_seq: number;
  created_at: string;
  updated_at: string;
}

export interface ProblemSnapshotsTable {
  /** The project uuid, or "" for events without a project. */
  project_key: string;
  seq: number;
  audit_at: string;
  findings: string;
  updated_at: string;
}

export interface TokensTable {
  id: string;
  project_uuid: string;
  /** Comma-separated: `read`, `write`. */
  scopes: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface HubMetaTable {
  key: string;
  value: string;
}

/** PostgreSQL only: the one counter `seq` is taken from (row id 1). */
export interface HubSeqTable {
  id: number;
  /** The newest `seq` handed out (and, once its transaction commits, stored). */
  value: number;
}

export interface Database {
  events: EventsTable;
  machine_events: MachineEventsTable;
  sessions: SessionsTable;
  problem_snapshots: ProblemSnapshotsTable;
  tokens: TokensTable;
  hub_meta: HubMetaTable;
  hub_seq: HubSeqTable;
}
