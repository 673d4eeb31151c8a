/** The four views, addressed by the URL's hash (`#/board`), so a reload stays on the view. */
import { useEffect, useState } from "preact/hooks";

export const VIEWS = [
  { id: "activity", label: "Activity log" },
  { id: "board", label: "Work packages" },
  { id: "sessions", label: "Sessions" },
  { id: "problems", label: "Problems" },
] as const;

export type ViewId = (typeof VIEWS)[number]["id"];

function current(): ViewId {
  const id = location.hash.replace(/^#\/?/, "");
  return VIEWS.find((view) => view.id === id)?.id ?? "activity";
}

export function useRoute(): ViewId {
  const [view, setView] = useState<ViewId>(current);
  useEffect(() => {
    const onChange = (): void => setView(current());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return view;
}
