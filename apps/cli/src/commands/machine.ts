/**
 * `events send-event`, compatible with statemachine-engine's command: the event is
 * stored first (exit 0 from then on), then delivered to the hub at once when one is
 * configured (by the home's background syncer, whose answer it waits for, or by this
 * process when background sync is off); if live delivery is unavailable it says so
 * and the next sync sends it.
 */
import { closeEmitter, openEmitter, reportEmit, type EmitterFlags } from "../emitter.js";
import { colour, print, warn } from "../output.js";
import { parseJsonObject } from "../payload.js";

export interface SendEventFlags extends EmitterFlags {
  target: string;
  type: string;
  source?: string;
  payload?: string;
  jobId?: string;
  json?: boolean;
  /** Milliseconds to try live delivery. */
  deliverTimeout?: string;
}

export async function sendEvent(flags: SendEventFlags): Promise<void> {
  const payload = flags.payload === undefined ? {} : parseJsonObject(flags.payload, "--payload");
  const emitter = await openEmitter(flags);
  try {
    const result = emitter.sendMachineEvent({
      target: flags.target,
      type: flags.type,
      source: flags.source ?? "cli",
      payload,
      jobId: flags.jobId ?? null,
    });
    const where = flags.target === "ui" ? "the dashboard" : `machine ${flags.target} (and the dashboard)`;
    reportEmit(result, { summary: `stored ${flags.type} from ${flags.source ?? "cli"} for ${where}`, ...(flags.json === undefined ? {} : { json: flags.json }) });
    if (!emitter.status().configured) {
      warn("no hub is configured: the event waits in the outbox (log in with `events auth login`)");
      return;
    }
    const timeoutMs = Number(flags.deliverTimeout ?? 3_000);
    const delivery = emitter.status().background ? await emitter.syncViaSyncer({ timeoutMs }) : await emitter.syncNow({ timeoutMs });
    if (delivery.error === undefined && delivery.remaining === 0) {
      if (flags.json !== true) print(colour.green(`delivered to ${emitter.status().serverUrl}`));
    } else {
      warn(`stored, but live delivery is unavailable (${delivery.error?.message ?? `${delivery.remaining} still queued`}); the next sync sends it`);
    }
  } finally {
    await closeEmitter(emitter);
  }
}
