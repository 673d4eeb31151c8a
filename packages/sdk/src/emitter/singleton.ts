/** The process's shared emitter, created on first use (a closed one is replaced). */
import type { EmitterOptions } from "../options.js";
import { createEmitter, type Emitter } from "./emitter.js";

let shared: Emitter | undefined;

/** The shared emitter; `options` apply only when this call creates it. */
export function getEmitter(options?: EmitterOptions): Emitter {
  if (shared === undefined || shared.closed) shared = createEmitter(options);
  return shared;
}
