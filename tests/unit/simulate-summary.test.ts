import { describe, expect, it } from "vitest";
import { summary } from "../../src/cli/commands/simulate.js";
import type { ArmReport, SimulationReport } from "../../src/sim/runner.js";

const arm = (version: string, revenue: number, conversion: number): ArmReport => ({ version, role: "candidate", mutations: [], units: 1000, pulled: false, kpis: { revenue: { n: 1000, mean: revenue }, conversion: { n: 1000, mean: conversion } }, truth: { revenue, conversion } });
const report: SimulationReport = {
  scenario: "shop",
  target: "shop",
  seed: "1",
  virtualHours: 2,
  visits: 2000,
  events: { accepted: 4000, ignored: 0, rejected: {} },
  generations: [{ generation: 1, experiment: "shop/g1", status: "committed", reason: "won", startedAt: 0, endedAt: 1, proposed: 1, dropped: 0, rejected: [], pulled: [], arms: [{ ...arm("a".repeat(64), 12.5, 0.2), role: "baseline" }, arm("b".repeat(64), 13.75, 0.21)], committed: "b".repeat(64) }],
  baseline: { initial: { version: "a".repeat(64), truth: { revenue: 12.5, conversion: 0.2 } }, final: { version: "b".repeat(64), truth: { revenue: 13.75, conversion: 0.21 } } },
  commits: 1,
  kinds: { revenue: "mean", conversion: "proportion" },
};

describe("the simulate summary", () => {
  it("prints a mean KPI as a number and a proportion as a percentage", () => {
    const text = summary(report);
    expect(text).toContain("12.50");
    expect(text).toContain("13.75 (+10.0%)");
    expect(text).not.toContain("1250.00%");
    expect(text).toContain("true KPIs after:  revenue 13.75, conversion 21.00%");
  });
});
