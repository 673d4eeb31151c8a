/**
 * The work-package board: every `WPStatusChanged` the page has seen, folded by
 * `reduceStatus` from @events/schema (so the page and every other reader agree on
 * lanes, aliases and illegal moves), grouped by project and feature, one column
 * per canonical lane. Titles come from `WPCreated`. Anomalies are listed, never hidden.
 */
import { LANES, reduceStatus, workPackageKey, type Envelope, type EnvelopeOf, type Lane, type StatusAnomaly } from "@events/schema";

export interface BoardSource {
  /** Status events by `event_id` (repeats collapse). */
  readonly statusEvents: ReadonlyMap<string, EnvelopeOf<"WPStatusChanged">>;
  /** Work-package titles by workPackageKey. */
  readonly titles: ReadonlyMap<string, string>;
}

export interface Card {
  readonly key: string;
  readonly wpId: string;
  readonly title: string | undefined;
  readonly lane: Lane;
  readonly transitions: number;
  /** The event that put it in this lane. */
  readonly eventId: string;
}

export interface BoardGroup {
  readonly key: string;
  readonly project: string | null;
  readonly feature: string | null;
  readonly lanes: Readonly<Record<Lane, readonly Card[]>>;
  readonly anomalies: readonly StatusAnomaly[];
}

export interface Board {
  readonly groups: readonly BoardGroup[];
  readonly anomalies: number;
}

export function emptyBoardSource(): BoardSource {
  return { statusEvents: new Map(), titles: new Map() };
}

/** Keeps what the board needs from a batch; returns the same source when nothing in it matters. */
export function addToBoard(source: BoardSource, events: readonly Envelope[]): BoardSource {
  let statusEvents: Map<string, EnvelopeOf<"WPStatusChanged">> | undefined;
  let titles: Map<string, string> | undefined;
  for (const event of events) {
    if (event.event_type === "WPStatusChanged" && !source.statusEvents.has(event.event_id)) {
      statusEvents ??= new Map(source.statusEvents);
      statusEvents.set(event.event_id, event);
    } else if (event.event_type === "WPCreated") {
      titles ??= new Map(source.titles);
      titles.set(workPackageKey(event.project_uuid, event.payload.feature_slug, event.payload.wp_id), event.payload.title);
    }
  }
  if (statusEvents === undefined && titles === undefined) return source;
  return { statusEvents: statusEvents ?? source.statusEvents, titles: titles ?? source.titles };
}

export function buildBoard(source: BoardSource): Board {
  const { workPackages, anomalies } = reduceStatus(source.statusEvents.values());
  const groups = new Map<string, { project: string | null; feature: string | null; lanes: Record<Lane, Card[]>; anomalies: StatusAnomaly[] }>();
  const group = (project: string | null, feature: string | null) => {
    const key = `${project ?? ""}\u0000${feature ?? ""}`;
    let found = groups.get(key);
    if (found === undefined) {
      found = { project, feature, lanes: emptyLanes(), anomalies: [] };
      groups.set(key, found);
    }
    return found;
  };
  for (const wp of workPackages) {
    const key = workPackageKey(wp.project_uuid, wp.feature_slug, wp.wp_id);
    group(wp.project_uuid, wp.feature_slug).lanes[wp.lane].push({
      key,
      wpId: wp.wp_id,
      title: source.titles.get(key),
      lane: wp.lane,
      transitions: wp.transitions,
      eventId: wp.event_id,
    });
  }
  for (const anomaly of anomalies) {
    const event = source.statusEvents.get(anomaly.event_id);
    group(event?.project_uuid ?? null, anomaly.feature_slug).anomalies.push(anomaly);
  }
  return {
    groups: [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, ...value })),
    anomalies: anomalies.length,
  };
}

function emptyLanes(): Record<Lane, Card[]> {
  return Object.fromEntries(LANES.map((lane) => [lane, [] as Card[]])) as Record<Lane, Card[]>;
}
