import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Policy } from "../../../src/domain/target.js";
import { evidenceRules } from "../../../src/evidence/rules.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { ratioEstimate } from "../../../src/stats/ratio.js";
import { stratifiedUnitEffect } from "../../../src/stats/stratified.js";
import { LiveExperiment } from "../../../src/stream/live-experiment.js";
import { version } from "../../contract/store-contract.js";
import { ROOT } from "../../helpers.js";

// Made by scripts/make-ratio-fixtures.py with numpy (covariance matrix, bootstrap over units).
const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "ratio.json"), "utf8")) as { cases: Case[] };
interface Side {
  outcomes: number[][];
  moments: { n: number; sum: number; sumSquares: number; den: number; denSquares: number; cross: number };
  mean: number;
  variance: number;
  bootstrapSe: number;
}
interface Case {
  name: string;
  control: Side;
  treatment: Side;
  relative: { effect: number; se: number };
  perOutcomeSe: number;
}
const RUNNING = { status: "running", canaryStep: 0 } as const;

const close = (actual: number, expected: number, what: string, rel = 1e-6) => {
  if (!(Math.abs(actual - expected) <= Math.max(rel * Math.abs(expected), 1e-12))) throw new Error(`${what}: ${actual} differs from ${expected} by more than ${rel} relative`);
};

const policyOf = (primary: object): Policy => ({ primary, guardrails: [], trackedKpis: [] }) as unknown as Policy;

describe("ratio metrics over units (delta method), against numpy", () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: estimate and variance exact, standard error within 5% of a bootstrap over units`, () => {
      for (const side of [c.control, c.treatment]) {
        const e = ratioEstimate(side.moments);
        expect(e).not.toBeNull();
        close(e!.mean, side.mean, "mean");
        close(e!.variance, side.variance, "variance");
        close(Math.sqrt(e!.variance), side.bootstrapSe, "bootstrap se", 0.05);
      }
      const effect = stratifiedUnitEffect([{ control: c.control.moments, treatment: c.treatment.moments }], true);
      close(effect!.effect, c.relative.effect, "relative effect");
      close(effect!.se, c.relative.se, "relative se");
      // Outcomes treated as independent understate the error: what evolvd did before.
      expect(c.perOutcomeSe).toBeLessThan(Math.sqrt(c.control.variance));
    });

    it(`${c.name}: the stream accumulates the same unit sums, whatever order outcomes arrive in`, () => {
      const kind = c.name.endsWith("latency") ? "mean" : "proportion";
      const arms = [version(1), version(2)];
      const experiment = new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policyOf({ kpi: "kpi", kind, direction: "increase", minLift: 0, metric: "per_outcome" })) });
      const events: [string, number, number][] = [];
      [c.control, c.treatment].forEach((side, arm) => side.outcomes.forEach((values, u) => values.forEach((x) => events.push([`${arm}-${u}`, arm, x]))));
      const rng = seededRng(c.name);
      for (let i = events.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [events[i], events[j]] = [events[j] as [string, number, number], events[i] as [string, number, number]];
      }
      for (const [unit, arm, x] of events) {
        const id = (arms[arm] as { id: string }).id;
        experiment.recordExposure(unit, id);
        expect(experiment.recordOutcome(unit, id, { kpi: x }).ok).toBe(true);
      }
      const cells = experiment.snapshot(1, RUNNING).periods[0]!.kpis;
      [c.control, c.treatment].forEach((side, arm) => {
        const got = cells[arm]!.kpi!;
        // A unit's totals are kept in single precision (evidence/unit-table.ts): 1e-7 relative.
        for (const field of ["n", "sum", "sumSquares", "den", "denSquares", "cross"] as const) close(got[field], side.moments[field], `${field} of arm ${arm}`, 1e-7);
      });
    });
  }
});

describe("per-unit metric types", () => {
  // Three units of one arm: u1 reports 2 and 0 and 3 orders; u2 only 0; u3 is exposed and reports nothing.
  const run = (primary: object, outcomes: [string, Record<string, number>][]) => {
    const arms = [version(1), version(2)];
    const experiment = new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [1, 0], now: 0, ...evidenceRules(policyOf(primary)) });
    for (const unit of ["u1", "u2", "u3"]) experiment.recordExposure(unit, arms[0]!.id);
    for (const [unit, metrics] of outcomes) expect(experiment.recordOutcome(unit, undefined, metrics).ok).toBe(true);
    return experiment.snapshot(1, RUNNING).periods[0]!.kpis[0]!;
  };
  const orders: [string, Record<string, number>][] = [
    ["u1", { orders: 2, revenue: 50 }],
    ["u1", { orders: 0, revenue: 0 }],
    ["u1", { orders: 3, revenue: 70 }],
    ["u2", { orders: 0, revenue: 0 }],
  ];

  it("binomial: did the unit convert at least once, every exposed unit counting", () => {
    expect(run({ kpi: "orders", kind: "proportion", direction: "increase", minLift: 0, metric: "binomial" }, [["u1", { orders: 1 }], ["u1", { orders: 1 }], ["u2", { orders: 0 }]]).orders).toEqual({ n: 3, sum: 1, sumSquares: 1, den: 3, denSquares: 3, cross: 1 });
  });
  it("count and sum: per-unit totals, units without outcomes at zero; a sum capped per unit", () => {
    expect(run({ kpi: "orders", kind: "mean", direction: "increase", minLift: 0, metric: "count" }, orders).orders).toEqual({ n: 3, sum: 5, sumSquares: 25, den: 3, denSquares: 3, cross: 5 });
    expect(run({ kpi: "revenue", kind: "mean", direction: "increase", minLift: 0, metric: "sum", cap: 100 }, orders).revenue).toEqual({ n: 3, sum: 100, sumSquares: 10_000, den: 3, denSquares: 3, cross: 100 });
  });
  it("unit_mean: the mean of each unit's values, units with none left out", () => {
    expect(run({ kpi: "revenue", kind: "mean", direction: "increase", minLift: 0, metric: "unit_mean" }, orders).revenue).toEqual({ n: 2, sum: 40, sumSquares: 1600, den: 2, denSquares: 2, cross: 40 });
  });
  it("per_outcome: the unit's sum over its count of outcomes; ratio: numerator over denominator per unit", () => {
    expect(run({ kpi: "revenue", kind: "mean", direction: "increase", minLift: 0 }, orders).revenue).toEqual({ n: 2, sum: 120, sumSquares: 14_400, den: 4, denSquares: 10, cross: 360 });
    expect(run({ kpi: "revenue_per_order", kind: "mean", direction: "increase", minLift: 0, metric: "ratio", numerator: "revenue", denominator: "orders" }, orders).revenue_per_order).toEqual({ n: 2, sum: 120, sumSquares: 14_400, den: 5, denSquares: 25, cross: 600 });
  });
});
