/** One valid payload per event type, for tests that need any valid event. */
import type { EventType, PayloadOf } from "@events/schema";

export const PAYLOADS: { [T in EventType]: PayloadOf<T> } = {
  WPStatusChanged: { wp_id: "WP01", from_lane: "planned", to_lane: "claimed", actor: "test" },
  WPCreated: { wp_id: "WP02", title: "Write the outbox", feature_slug: "001-sdk", dependencies: ["WP01"] },
  WPAssigned: { wp_id: "WP02", agent_id: "claude", phase: "implementation", retry_count: 0 },
  FeatureCreated: { feature_slug: "001-sdk", feature_number: "001", target_branch: "main", wp_count: 3 },
  FeatureCompleted: { feature_slug: "001-sdk", total_wps: 3 },
  HistoryAdded: { wp_id: "WP02", entry_type: "note", entry_content: "started" },
  ErrorLogged: { error_type: "runtime", error_message: "boom", wp_id: "WP02" },
  DependencyResolved: { wp_id: "WP02", dependency_wp_id: "WP01", resolution_type: "completed" },
  MachineEvent: { source: "cli", target: "ui", type: "activity_log", payload: { message: "hello" } },
  "task.created": { task_id: "t1", status: "pending", name: "build" },
  "task.status": { task_id: "t1", status: "running" },
  SessionEvent: { kind: "phase", phase: "validating_inputs", at: "2026-11-20T10:00:00Z" },
  ProblemsSnapshot: { findings: [{ rule: "missing-readme", offending_path: "/a" }], audit_at: "2026-11-20T10:00:00Z" },
};

export function statusChange(index: number): PayloadOf<"WPStatusChanged"> {
  return { wp_id: `WP${String(index % 100).padStart(2, "0")}`, from_lane: "planned", to_lane: "claimed" };
}
