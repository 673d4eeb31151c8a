/**
 * `node dist/syncer.js --home <dir> [--idle-ms <n>]`: the background syncer's process,
 * started detached by an emit that found none (syncer-socket.ts). Exits 0 when idle.
 */
import { parseArgs } from "node:util";
import { runSyncer } from "./syncer.js";

const { values } = parseArgs({ options: { home: { type: "string" }, "idle-ms": { type: "string" } }, strict: false });
const idle = Number(values["idle-ms"]);
await runSyncer({
  ...(typeof values.home === "string" ? { home: values.home } : {}),
  ...(Number.isFinite(idle) && idle > 0 ? { idleMs: idle } : {}),
});
process.exit(0);
