/**
 * The least the page checks of what it reads outside the live stream (whose frames
 * @events/client checks): history entries and the problems channel's frames. The
 * hub validated every event against @events/schema before storing it, so the page
 * does not re-validate envelopes (the generated validators would multiply its
 * size); it only makes sure a value has the shape its code reads, so a broken or
 * hostile one is dropped instead of throwing in the middle of a batch.
 */
import { isEnvelopeLike } from "@events/client";
import { isStreamId, type ProblemsFrame } from "@events/schema";
import type { LiveEvent } from "../state/live-event.js";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isLiveEvent(value: unknown): value is LiveEvent {
  return (
    isObject(value) &&
    isStreamId(value["stream"]) &&
    Number.isSafeInteger(value["seq"]) &&
    (value["seq"] as number) > 0 &&
    typeof value["channel"] === "string" &&
    isEnvelopeLike(value["event"])
  );
}

/** A problems frame (`snapshot` or `delta` with arrays of findings), or undefined. */
export function parseProblemsFrame(text: unknown): ProblemsFrame | undefined {
  const value = parseJson(text);
  if (!isObject(value)) return undefined;
  const findings = (key: string): boolean => Array.isArray(value[key]) && (value[key] as unknown[]).every((item) => isObject(item) && typeof item["rule"] === "string" && typeof item["offending_path"] === "string");
  if (value["kind"] === "snapshot" && findings("findings")) return value as unknown as ProblemsFrame;
  if (value["kind"] === "delta" && findings("added") && findings("changed") && findings("removed")) return value as unknown as ProblemsFrame;
  return undefined;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
