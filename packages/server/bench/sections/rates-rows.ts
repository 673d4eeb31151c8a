/**
 * The rates section's table: per offered rate, p99 (p50 in the name) for each
 * system, the hub's p99 over the floor's against issue #16's targets, deliveries/s
 * achieved and peak RSS; each a median over runs, with the runs' range in the name.
 */
import { formatNumber, median, type BenchRow } from "../../../../scripts/bench-kit.js";
import { SUBSCRIBERS } from "../lib/setup.js";

export interface RateSystem {
  /** The subscriber group's and publisher connection's name. */
  readonly key: string;
  readonly label: string;
  /** The server child's kind (children/server.ts). */
  readonly server: string;
  /** The subscribers' kind (children/clients.ts). */
  readonly clients: string;
  /** Another build of the hub to load (a path to its index.js); this package's dist when absent. */
  readonly module?: string;
}

export const FLOOR: RateSystem = { key: "floor-ws", label: "raw ws floor", server: "floor-ws", clients: "floor-ws" };
/** `BENCH_HUB_MODULE`: the hub build to load (a path to its index.js); this package's dist by default. */
const HUB_MODULE = process.env["BENCH_HUB_MODULE"] ?? "";
export const HUB: RateSystem = { key: "hub", label: "hub WS (stored first)", server: "hub", clients: "hub-ws", ...(HUB_MODULE === "" ? {} : { module: HUB_MODULE }) };
export const SOCKET_IO: RateSystem = { key: "socketio", label: "Socket.IO 4", server: "socketio", clients: "socketio" };
/**
 * Another build of the hub run beside this one, as its own system (`BENCH_HUB_COMPARE`,
 * a path to that build's index.js): an A/B of two builds measured interleaved in one run.
 */
const COMPARE = process.env["BENCH_HUB_COMPARE"] ?? "";
const HUB_COMPARE: RateSystem | undefined = COMPARE === "" ? undefined : { key: "hub-compare", label: "hub WS, BENCH_HUB_COMPARE build", server: "hub", clients: "hub-ws", module: COMPARE };
/** `BENCH_RATE_SYSTEMS=floor-ws,hub` runs only the systems with those keys (all by default; the floor always). */
const ONLY = process.env["BENCH_RATE_SYSTEMS"]?.split(",");
export const SYSTEMS: readonly RateSystem[] = [FLOOR, HUB, ...(HUB_COMPARE === undefined ? [] : [HUB_COMPARE]), SOCKET_IO].filter(
  (system) => system === FLOOR || ONLY === undefined || ONLY.includes(system.key),
);
const HUBS = SYSTEMS.filter((system) => system.server === "hub");

export interface CellResult {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly rssMb: number;
  /** RSS when the cell began. */
  readonly rssStartMb: number;
  /** Deliveries that never arrived. */
  readonly lost: number;
  /** CPU of the server's and of the subscribers' process over the cell, as shares of one core. */
  readonly serverCpu: number;
  readonly clientsCpu: number;
  /** Everything else the machine ran meanwhile, in cores (others' work on a shared machine). */
  readonly othersCpu: number;
  /** p99 of how late the publisher sent, against its schedule, in ms. */
  readonly lateMs: number;
}

/** Issue #16: the hub's p99 within 1.3x the floor's at 50 ev/s, 1.5x at 80; at most 35 ms at 200. */
const TARGETS: Readonly<Record<number, { ratio?: number; p99?: number }>> = { 50: { ratio: 1.3 }, 80: { ratio: 1.5 }, 200: { p99: 35 } };

/** Below this share of the offered rate a system is called saturated. */
const SATURATED = 0.97;

const range = (values: readonly number[], digits = 1): string => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;

export function rateRows(results: ReadonlyMap<string, readonly CellResult[]>, setup: { rates: readonly number[]; seconds: number; runs: number; placement: string }): BenchRow[] {
  // Other work on a shared machine shows up in every figure: say how much there was.
  const others = median([...results.values()].flat().map((cell) => cell.othersCpu));
  const rows: BenchRow[] = [
    {
      name: `rates, 1 event per publish from a separate publisher; ${setup.runs} runs; ${setup.placement}; other work on the machine: ${(others * 100).toFixed(0)}% of a core (median)`,
      value: setup.seconds,
      unit: "s per cell",
    },
  ];
  for (const rate of setup.rates) {
    const cells = (system: RateSystem): readonly CellResult[] => results.get(`${rate} ${system.key}`) ?? [];
    const mid = (system: RateSystem, pick: (cell: CellResult) => number): number => median(cells(system).map(pick));
    const offered = rate * SUBSCRIBERS;
    const target = TARGETS[rate] ?? {};
    for (const system of SYSTEMS) {
      const p99 = mid(system, (cell) => cell.p99);
      const limit = HUBS.includes(system) ? target.p99 : undefined;
      rows.push({
        name: `${rate} ev/s x ${SUBSCRIBERS} (${formatNumber(offered)}/s), ${system.label}: p99 (p50 ${mid(system, (cell) => cell.p50).toFixed(1)} ms; runs ${range(cells(system).map((cell) => cell.p99))})`,
        value: p99,
        unit: "ms",
        ...(limit === undefined ? {} : { target: `<= ${limit} ms`, pass: p99 <= limit }),
      });
    }
    for (const hub of HUBS) {
      const ratio = mid(hub, (cell) => cell.p99) / mid(FLOOR, (cell) => cell.p99);
      const perRun = cells(hub).map((cell, run) => cell.p99 / (cells(FLOOR)[run]?.p99 ?? Number.NaN));
      rows.push({
        name: `  ${hub === HUB ? "hub" : hub.label} p99 / raw ws floor p99 at ${rate} ev/s (runs ${range(perRun, 2)})`,
        value: ratio,
        unit: "x floor",
        ...(target.ratio === undefined ? {} : { target: `<= ${target.ratio}x floor`, pass: ratio <= target.ratio }),
      });
    }
    for (const system of SYSTEMS) {
      const perSecond = mid(system, (cell) => cell.perSecond);
      const lost = cells(system).reduce((sum, cell) => sum + cell.lost, 0);
      const cpu = (pick: (cell: CellResult) => number): string => `${(mid(system, pick) * 100).toFixed(0)}%`;
      const notes = [
        `runs ${range(cells(system).map((cell) => cell.perSecond), 0)}`,
        `CPU: server ${cpu((cell) => cell.serverCpu)}, subscribers ${cpu((cell) => cell.clientsCpu)}, everything else ${cpu((cell) => cell.othersCpu)}`,
        `publisher late p99 ${mid(system, (cell) => cell.lateMs).toFixed(1)} ms`,
        ...(perSecond < SATURATED * offered ? ["saturated"] : []),
        ...(lost > 0 ? [`${lost} lost`] : []),
      ];
      rows.push({
        name: `  delivered at ${rate} ev/s, ${system.label} (${notes.join("; ")})`,
        value: perSecond,
        unit: "deliveries/s",
        ...(HUBS.includes(system) ? { baseline: "raw ws floor", ratio: perSecond / mid(FLOOR, (cell) => cell.perSecond) } : {}),
      });
    }
    for (const system of SYSTEMS) {
      const start = mid(system, (cell) => cell.rssStartMb).toFixed(0);
      rows.push({ name: `  peak RSS at ${rate} ev/s, ${system.label} (runs ${range(cells(system).map((cell) => cell.rssMb), 0)}; ${start} at the cell's start)`, value: mid(system, (cell) => cell.rssMb), unit: "MB" });
    }
  }
  return rows;
}
