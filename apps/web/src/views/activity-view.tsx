/** The activity log: newest first, filtered by level, source and machine; older pages on demand. */
import { useMemo, useState } from "preact/hooks";
import type { ActivityLevel } from "@events/schema";
import type { PageState } from "../controller.js";
import { facets, filterActivity, LEVELS, type ActivityFilter } from "../state/activity.js";
import { NewEventsAnnouncer } from "./new-events-announcer.js";

export function ActivityView({ state, onLoadOlder }: { state: PageState; onLoadOlder: () => void }) {
  const [filter, setFilter] = useState<ActivityFilter>({});
  const { entries, hasOlder } = state.data.activity;
  const options = useMemo(() => facets(entries), [entries]);
  const shown = useMemo(() => filterActivity(entries, filter), [entries, filter]);
  const pick = (key: keyof ActivityFilter) => (event: Event) => {
    const value = (event.currentTarget as HTMLSelectElement).value;
    setFilter({ ...filter, [key]: value === "" ? undefined : value });
  };
  return (
    <section aria-labelledby="activity-title">
      <div class="view-head">
        <h2 id="activity-title">Activity log</h2>
        <form class="filters" aria-label="Filter the activity log" onSubmit={(event) => event.preventDefault()}>
          <label>
            Level
            <select value={filter.level ?? ""} onChange={pick("level")}>
              <option value="">all</option>
              {LEVELS.map((level) => (
                <option key={level} value={level}>
                  {level}
                </option>
              ))}
            </select>
          </label>
          <label>
            Source
            <select value={filter.source ?? ""} onChange={pick("source")}>
              <option value="">all</option>
              {options.sources.map((source) => (
                <option key={source}>{source}</option>
              ))}
            </select>
          </label>
          <label>
            Machine
            <select value={filter.machine ?? ""} onChange={pick("machine")}>
              <option value="">all</option>
              {options.machines.map((machine) => (
                <option key={machine}>{machine}</option>
              ))}
            </select>
          </label>
        </form>
      </div>
      <p class="muted count">
        {shown.length} of {entries.length} loaded events shown{hasOlder ? "; older ones can be loaded below" : ""}
      </p>
      <NewEventsAnnouncer entries={entries} live={state.live.status === "live"} />
      {entries.length === 0 ? (
        <p class="empty">No events yet. Emit one with <code>events send-event --target ui --type activity_log --payload '{"{"}"message":"hello"{"}"}'</code>.</p>
      ) : (
        <table class="activity" aria-labelledby="activity-title">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Level</th>
              <th scope="col">Source</th>
              <th scope="col">Machine</th>
              <th scope="col">Type</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.key} data-position={entry.key} data-event-id={entry.eventId} class={`level-${entry.level}`}>
                <td>
                  <time dateTime={entry.timestamp} title={entry.timestamp}>
                    {clock(entry.timestamp)}
                  </time>
                </td>
                <td>
                  <span class={`level level-${entry.level}`}>{entry.level}</span>
                </td>
                <td>{entry.source}</td>
                <td class="mono">{entry.machine}</td>
                <td class="mono">{entry.eventType}</td>
                <td class="message">
                  <Message text={entry.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hasOlder && (
        // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page's start.
        <button type="button" class="load-older" onClick={() => state.loadingOlder || onLoadOlder()} aria-disabled={state.loadingOlder}>
          {state.loadingOlder ? "Loading older events…" : "Load older events"}
        </button>
      )}
    </section>
  );
}

/** Past this many characters a message is cut, with the rest one click (or Enter) away. */
const LONG_MESSAGE = 600;

function Message({ text }: { text: string }) {
  if (text.length <= LONG_MESSAGE) return <>{text}</>;
  return (
    <details>
      <summary>
        {text.slice(0, LONG_MESSAGE)}… <span class="small">({text.length - LONG_MESSAGE} more characters)</span>
      </summary>
      {text.slice(LONG_MESSAGE)}
    </details>
  );
}

function clock(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleTimeString(undefined, { hour12: false });
}

export type { ActivityLevel };
