/**
 * A host command as a CLI runs it: emits, prints "emitted", then simply ends. The
 * SDK's background sync must never keep it alive past the flush bound.
 * With `exitAfterMs`, it calls process.exit() that long after emitting instead, as
 * a CLI that exits explicitly does, cutting short whatever delivery is under way.
 * It delivers from its own process (`syncBackground: false`): the exit drain and its bound
 * are what these hosts test; a host handing off to the syncer is in syncer.test.ts.
 * argv[2]: JSON { home, serverUrl, token, emits, exitFlushMs?, exitAfterMs? }
 */
import { createEmitter } from "../../src/index.js";

const config = JSON.parse(process.argv[2] ?? "{}") as {
  home: string;
  serverUrl: string;
  token: string;
  emits: number;
  exitFlushMs?: number;
  exitAfterMs?: number;
};
const emitter = createEmitter({
  home: config.home,
  project: { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "demo" },
  serverUrl: config.serverUrl,
  token: config.token,
  syncBackground: false,
  ...(config.exitFlushMs === undefined ? {} : { exitFlushMs: config.exitFlushMs }),
});
for (let i = 0; i < config.emits; i++) {
  const result = emitter.emitHistoryAdded({ wp_id: "WP01", entry_type: "note", entry_content: `host ${i}` });
  if (!result.ok) throw new Error(result.message);
}
process.stdout.write(`emitted ${Date.now()}\n`);
if (config.exitAfterMs !== undefined) setTimeout(() => process.exit(0), config.exitAfterMs);
