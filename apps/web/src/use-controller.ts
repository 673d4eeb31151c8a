/** Re-renders a component whenever the controller's state changes. */
import { useEffect, useReducer } from "preact/hooks";
import type { Controller, PageState } from "./controller.js";

export function usePageState(controller: Controller): PageState {
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  useEffect(() => controller.subscribe(() => rerender(undefined)), [controller]);
  return controller.get();
}
