/**
 * What a screen reader hears of the live log: not every row (a busy hub would
 * drown everything else), but "3 new events, newest: …" at most every few
 * seconds, in a polite live region that is otherwise silent.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ActivityEntry } from "../state/activity.js";

/** The quietest a busy log gets: one announcement per this many milliseconds. */
export const ANNOUNCE_EVERY_MS = 5_000;

/** `live`: false while the page reads history or catches up; what arrives then is not announced as news. */
export function NewEventsAnnouncer({ entries, live }: { entries: readonly ActivityEntry[]; live: boolean }) {
  const [text, setText] = useState("");
  const seen = useRef<number | undefined>(undefined);
  const lastAnnounced = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const newest = entries[0]?.order;

  useEffect(() => {
    // What was there when the view opened, or came with the first page from history, is not news.
    if (seen.current === undefined || !live) {
      seen.current = newest ?? 0;
      return;
    }
    if (newest === undefined || newest <= seen.current || timer.current !== undefined) return;
    const announce = (): void => {
      timer.current = undefined;
      const since = seen.current ?? 0;
      const fresh = entriesRef.current.filter((entry) => entry.order > since);
      if (fresh.length === 0) return;
      seen.current = fresh[0]!.order;
      lastAnnounced.current = Date.now();
      setText(`${fresh.length} new event${fresh.length === 1 ? "" : "s"}; newest: ${fresh[0]!.level}, ${fresh[0]!.message.slice(0, 120)}`);
    };
    timer.current = setTimeout(announce, Math.max(0, lastAnnounced.current + ANNOUNCE_EVERY_MS - Date.now()));
  }, [newest, live]);

  useEffect(() => () => clearTimeout(timer.current), []);

  return (
    <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="new-events">
      {text}
    </p>
  );
}
