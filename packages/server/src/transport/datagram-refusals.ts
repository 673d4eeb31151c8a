/**
 * A datagram has no reply channel, so a refused one is made visible where the
 * sender's operator looks: a `warning` in the activity log (an `activity_log`
 * machine event to `ui`, from `hub`, in the datagram project, else the hub's), at
 * most one per reason per interval, the next one counting those in between; and the
 * `events_datagrams_refused_total{reason}` counter for every refusal.
 */
import type { Counter } from "prom-client";

export type DatagramRefusal = "too_large" | "not_json" | "invalid" | "rejected" | "store_failed";

export interface RefusalReporterOptions {
  /** Writes one warning to the activity log; never throws. */
  readonly report: (warning: { message: string; reason: DatagramRefusal; machine: string | undefined }) => void;
  readonly counter: Counter<"reason">;
  readonly intervalMs: number;
  readonly now?: () => number;
}

export class RefusalReporter {
  readonly #options: RefusalReporterOptions;
  readonly #now: () => number;
  readonly #last = new Map<DatagramRefusal, { at: number; suppressed: number }>();

  constructor(options: RefusalReporterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  refuse(reason: DatagramRefusal, detail: { machine: string | undefined; why: string }): void {
    this.#options.counter.inc({ reason });
    const now = this.#now();
    const last = this.#last.get(reason);
    if (last !== undefined && now - last.at < this.#options.intervalMs) {
      last.suppressed++;
      return;
    }
    this.#last.set(reason, { at: now, suppressed: 0 });
    const from = detail.machine === undefined ? "" : ` from ${detail.machine}`;
    const more = last === undefined || last.suppressed === 0 ? "" : ` (and ${last.suppressed} more refused as ${reason} since the last warning)`;
    this.#options.report({ message: `refused a datagram${from}: ${detail.why}${more}`, reason, machine: detail.machine });
  }
}
