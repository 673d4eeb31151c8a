/** The browser build's reference validators: bundled, since a page cannot load a module synchronously. */
import { reference } from "../generated/reference.js";
import type { ReferenceFactory } from "./load-reference.js";

export function loadReference(): ReferenceFactory {
  return reference;
}
