/**
 * Every emit call in spec-kitty's quickstart (seed 028) runs through
 * `@events/sdk/spec-kitty` as the document writes it: positional arguments stay
 * positional, keyword arguments become one trailing object. The calls are read from
 * the seed document itself; the list below is what each must store, and a call the
 * document has that the list lacks fails the test.
 */
import { envelopeCodec, ULID_PATTERN } from "@events/schema";
import { describe, expect, it } from "vitest";
import { callsIn, seedDocument } from "../../../scripts/seed-documents.js";
import { specKittyEmitter, type SpecKittyEmitter } from "../src/spec-kitty.js";
import { captureLog } from "./helpers/capture-log.js";
import { testEmitter } from "./helpers/emitters.js";
import { readOutbox } from "./helpers/queue-db.js";

/** The feature the quickstart is about; its examples shorten it to `"028-..."`. */
const FEATURE = "028-cli-event-emission-sync";

/** Names the "Wiring into Commands" examples take from their surrounding code. */
const SCOPE: Readonly<Record<string, unknown>> = {
  wp_id: "WP01",
  feature_slug: FEATURE,
  feature_number: "028",
  target_branch: "2.x",
  "len(work_packages)": 1,
  "wp.id": "WP01",
  "wp.title": "Event Factory",
  "wp.dependencies": [],
};

/** Each call of the document (whitespace folded) and the event it stores. */
const EXAMPLES: Record<string, { event_type: string; payload: Record<string, unknown>; causation?: true }> = {
  'emit_wp_status_changed(wp_id="WP01", previous_status="planned", new_status="doing", changed_by="user", feature_slug="028-cli-event-emission-sync",)': {
    event_type: "WPStatusChanged",
    payload: { wp_id: "WP01", from_lane: "planned", to_lane: "in_progress", actor: "user", feature_slug: FEATURE },
  },
  'emit_wp_status_changed("WP01", "planned", "doing")': {
    event_type: "WPStatusChanged",
    payload: { wp_id: "WP01", from_lane: "planned", to_lane: "in_progress", actor: "user" },
  },
  'emit_wp_created("WP01", "Event Factory", dependencies=[], feature_slug="028-...")': {
    event_type: "WPCreated",
    payload: { wp_id: "WP01", title: "Event Factory", dependencies: [], feature_slug: FEATURE },
  },
  'emit_wp_assigned("WP01", agent_id="claude", phase="implementation")': {
    event_type: "WPAssigned",
    payload: { wp_id: "WP01", agent_id: "claude", phase: "implementation", retry_count: 0 },
  },
  'emit_feature_created("028-...", feature_number="028", target_branch="2.x", wp_count=7)': {
    event_type: "FeatureCreated",
    payload: { feature_slug: FEATURE, feature_number: "028", target_branch: "2.x", wp_count: 7 },
  },
  'emit_feature_completed("028-...", total_wps=7)': {
    event_type: "FeatureCompleted",
    payload: { feature_slug: FEATURE, total_wps: 7 },
  },
  'emit_history_added("WP01", entry_type="note", content="Implementation started")': {
    event_type: "HistoryAdded",
    payload: { wp_id: "WP01", entry_type: "note", entry_content: "Implementation started" },
  },
  'emit_error_logged(wp_id="WP01", error_type="runtime", message="Test failed")': {
    event_type: "ErrorLogged",
    payload: { wp_id: "WP01", error_type: "runtime", error_message: "Test failed" },
  },
  'emit_dependency_resolved("WP02", dependency_wp_id="WP01", resolution_type="completed")': {
    event_type: "DependencyResolved",
    payload: { wp_id: "WP02", dependency_wp_id: "WP01", resolution_type: "completed" },
  },
  'emit_wp_status_changed(wp_id=wp_id, previous_status="planned", new_status="doing", feature_slug=feature_slug,)': {
    event_type: "WPStatusChanged",
    payload: { wp_id: "WP01", from_lane: "planned", to_lane: "in_progress", actor: "user", feature_slug: FEATURE },
  },
  "emit_feature_created(feature_slug=feature_slug, feature_number=feature_number, target_branch=target_branch, wp_count=len(work_packages), causation_id=causation_id,)": {
    event_type: "FeatureCreated",
    payload: { feature_slug: FEATURE, feature_number: "028", target_branch: "2.x", wp_count: 1 },
    causation: true,
  },
  "emit_wp_created(wp_id=wp.id, title=wp.title, dependencies=wp.dependencies, feature_slug=feature_slug, causation_id=causation_id,)": {
    event_type: "WPCreated",
    payload: { wp_id: "WP01", title: "Event Factory", dependencies: [], feature_slug: FEATURE },
    causation: true,
  },
};

function folded(name: string, source: string): string {
  return `${name}(${source.replace(/\s+/g, " ").trim()})`;
}

/** Python arguments as the helper takes them: positional values, then one object of keyword arguments. */
function pythonArguments(source: string, scope: Readonly<Record<string, unknown>>): unknown[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const char of source) {
    if (char === '"') quoted = !quoted;
    if (!quoted && "([{".includes(char)) depth++;
    if (!quoted && ")]}".includes(char)) depth--;
    if (!quoted && depth === 0 && char === ",") {
      parts.push(current.trim());
      current = "";
    } else current += char;
  }
  parts.push(current.trim());
  const value = (text: string): unknown => {
    if (text in scope) return scope[text];
    // The quickstart shortens its feature slug to "028-..."; the feature it documents is 028-cli-event-emission-sync.
    if (text === '"028-..."') return FEATURE;
    return JSON.parse(text.replace(/\bTrue\b/g, "true").replace(/\bFalse\b/g, "false").replace(/\bNone\b/g, "null")) as unknown;
  };
  const positional: unknown[] = [];
  const keywords: Record<string, unknown> = {};
  for (const part of parts.filter((item) => item !== "")) {
    const keyword = /^([a-z_]+)=(.*)$/s.exec(part);
    if (keyword === null) positional.push(value(part));
    else keywords[keyword[1]!] = value(keyword[2]!);
  }
  return Object.keys(keywords).length === 0 ? positional : [...positional, keywords];
}

function run(kitty: SpecKittyEmitter, call: string, scope: Readonly<Record<string, unknown>>) {
  const name = call.slice(0, call.indexOf("(")) as keyof SpecKittyEmitter;
  const helper = kitty[name] as (...args: unknown[]) => ReturnType<SpecKittyEmitter["emit_wp_created"]>;
  return helper(...pythonArguments(call.slice(call.indexOf("(") + 1, -1), scope));
}

describe("spec-kitty's helpers (@events/sdk/spec-kitty)", () => {
  it("the list of examples is every emit call of the seed quickstart", () => {
    const text = seedDocument("Quickstart: CLI Event Emission + Sync");
    if (text === undefined) return;
    const calls = new Set(callsIn(text, /emit_[a-z_]+/).map((call) => folded(call.name, call.source)));
    expect([...calls].sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.entries(EXAMPLES))("%s stores what it says, durably, and returns the event", (call, expected) => {
    const emitter = testEmitter({ autoSync: false });
    const kitty = specKittyEmitter(emitter);
    const causation_id = kitty.generate_causation_id();
    expect(causation_id).toMatch(new RegExp(ULID_PATTERN));
    const event = run(kitty, call, { ...SCOPE, causation_id });
    expect(event).not.toBeNull();
    expect(event).toMatchObject({ event_type: expected.event_type, payload: expected.payload });
    expect(Object.keys(event!.payload).sort()).toEqual(Object.keys(expected.payload).sort());
    expect(event!.causation_id).toBe(expected.causation === true ? causation_id : null);
    expect(envelopeCodec.decode(event).ok).toBe(true);
    expect(readOutbox(emitter.paths.home).map((row) => JSON.parse(row.data) as unknown)).toEqual([event]);
    expect(kitty.queue.size()).toBe(1);
  });

  it("answers what the quickstart reads from get_emitter(): queue size, connection status, clock value and node id", () => {
    const emitter = testEmitter({ autoSync: false });
    const kitty = specKittyEmitter(emitter);
    expect(kitty.queue.size()).toBe(0);
    expect(kitty.clock.value).toBe(0);
    kitty.emit_wp_status_changed("WP01", "planned", "doing");
    expect(kitty.queue.size()).toBe(1);
    expect(kitty.clock.value).toBe(1);
    expect(kitty.clock.node_id).toMatch(/^[0-9a-f]{12}$/);
    expect(kitty.get_connection_status()).toBe("Offline");
    expect(kitty.events).toBe(emitter);
  });

  it("returns null with one warning, never throwing, for an event it cannot store", () => {
    const emitter = testEmitter({ autoSync: false });
    const kitty = specKittyEmitter(emitter);
    const log = captureLog();
    expect(kitty.emit_wp_status_changed("WP1", "planned", "nowhere")).toBeNull();
    const untyped = kitty.emit_wp_created as (...args: unknown[]) => unknown;
    expect(untyped("WP01", "t", "extra", { feature_slug: "028-x" })).toBeNull();
    expect(log.warnings().join("\n")).toMatch(/emit_wp_status_changed\(\): the event was not emitted \(invalid\): .*\/payload\/wp_id/);
    expect(log.warnings().join("\n")).toContain("emit_wp_created() takes at most 2 positional arguments");
    expect(kitty.queue.size()).toBe(0);
  });
});
