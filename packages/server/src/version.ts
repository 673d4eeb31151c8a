/** The hub's version, as advertised in `welcome.hub_version` and `/healthz`. */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const HUB_VERSION: string = (require("../package.json") as { version: string }).version;
