/**
 * Code for the benchmark's child processes, run as `node --input-type=module -e`:
 * plain node against the built package, as a host command would run it.
 */
import { floorSource } from "./floor.js";

/** A child that waits for "go" on stdin, writes `count` events, and prints a JSON report. */
export function writerScript(kind: "sdk" | "floor", sdkUrl: string): string {
  const setup =
    kind === "sdk"
      ? `const { createEmitter, setLogSink } = await import(${JSON.stringify(sdkUrl)});
         const warnings = []; setLogSink((level, message) => { if (level === "warn") warnings.push(message); });
         const emitter = createEmitter({ home: dir, projectRoot: dir, project: null });
         let failures = 0;
         const write = (i) => { const r = emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed", actor: "bench" }); if (!r.ok || !r.durable) failures++; };
         const finish = () => ({ failures, warnings });`
      : `${floorSource()}
         const floor = openFloor(dir, data);
         const write = (i) => floor.write(String(process.pid).padStart(8, "0") + String(i).padStart(18, "0"));
         const finish = () => ({ failures: 0, warnings: [] });`;
  return `
    const [dir, count, data] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
    ${setup}
    write(-1);
    process.stdout.write("ready\\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    const startedAt = performance.timeOrigin + performance.now();
    for (let i = 0; i < count; i++) write(i);
    const endedAt = performance.timeOrigin + performance.now();
    process.stdout.write(JSON.stringify({ startedAt, endedAt, ...finish() }) + "\\n");
    process.exit(0);`;
}

/** A child that emits a burst as fast as it can and prints its peak RSS in bytes. */
export function burstScript(kind: "sdk" | "floor", sdkUrl: string): string {
  const body =
    kind === "sdk"
      ? `const { createEmitter } = await import(${JSON.stringify(sdkUrl)});
         const emitter = createEmitter({ home: dir, projectRoot: dir, project: null });
         for (let i = 0; i < count; i++) emitter.emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed", actor: "bench" });
         await emitter.close();`
      : `${floorSource()}
         const floor = openFloor(dir, data);
         for (let i = 0; i < count; i++) floor.write(String(i).padStart(26, "0"));
         floor.close();`;
  return `
    const [dir, count, data] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
    ${body}
    process.stdout.write(String(process.resourceUsage().maxRSS * 1024));`;
}

/** A host command: import the SDK, emit one event, exit. */
export function hostScript(sdkUrl: string): string {
  return `const { createEmitter } = await import(${JSON.stringify(sdkUrl)});
    const result = createEmitter().emitWpStatusChanged({ wp_id: "WP01", from_lane: "planned", to_lane: "claimed" });
    if (!result.ok || !result.durable) process.exit(1);`;
}
