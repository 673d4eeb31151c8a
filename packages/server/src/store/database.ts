/**
 * The tables the hub keeps, as kysely sees them. One set of types serves SQLite and
 * PostgreSQL: times are ISO 8601 text and JSON is text, so both dialects return the
 * same rows and the hub can send stored bytes without serialising them again.
 */
import type { Generated } from "kysely";

export interface EventsTable {
  /** The storage row id: the order rows were stored in. Not a position (never on the wire); machine events use it as their id. */
  seq: Generated<number>;
  event_id: string;
  project_uuid: string | null;
  /** `project_uuid`, or `-` for events without a project. */
  stream: string;
  /** The event's number in its stream, from 1, without holes. */
  stream_seq: number;
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

/** One row per stream ever written: its counter, locked by each append to it until commit. */
export interface StreamsTable {
  stream: string;
  /** The newest `stream_seq` handed out (and, once its transaction commits, stored). */
  head: number;
  /** Retention: the stream's events up to this seq were pruned. */
  pruned_through: Generated<number>;
}

export interface Database {
  events: EventsTable;
  machine_events: MachineEventsTable;
  sessions: SessionsTable;
  problem_snapshots: ProblemSnapshotsTable;
  tokens: TokensTable;
  hub_meta: HubMetaTable;
  streams: StreamsTable;
}
