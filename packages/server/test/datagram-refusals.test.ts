import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RefusalReporter } from "../src/transport/datagram-refusals.js";

describe("refused datagram warnings", () => {
  it("warns once per reason per interval, counts every refusal, and the next warning says how many it held back", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "refused_total", help: "refused", labelNames: ["reason"], registers: [registry] });
    const warnings: string[] = [];
    let now = 0;
    const reporter = new RefusalReporter({ counter, intervalMs: 10_000, now: () => now, report: (warning) => warnings.push(warning.message) });
    reporter.refuse("not_json", { machine: undefined, why: "not JSON" });
    now = 1_000;
    reporter.refuse("not_json", { machine: undefined, why: "not JSON" });
    reporter.refuse("not_json", { machine: undefined, why: "not JSON" });
    reporter.refuse("too_large", { machine: "worker-1", why: "too large" });
    now = 9_999;
    reporter.refuse("not_json", { machine: undefined, why: "not JSON" });
    expect(warnings).toEqual(["refused a datagram: not JSON", "refused a datagram from worker-1: too large"]);
    now = 10_000;
    reporter.refuse("not_json", { machine: undefined, why: "not JSON" });
    expect(warnings[2]).toBe("refused a datagram: not JSON (and 3 more refused as not_json since the last warning)");
    const metrics = await registry.metrics();
    expect(metrics).toContain('refused_total{reason="not_json"} 5');
    expect(metrics).toContain('refused_total{reason="too_large"} 1');
  });
});
