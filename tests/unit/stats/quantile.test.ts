import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../../src/config/policy.js";
import { compareArms } from "../../../src/decide/analysis.js";
import type { ExperimentSnapshot } from "../../../src/domain/snapshot.js";
import { evidenceRules } from "../../../src/evidence/rules.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { quantileEstimate } from "../../../src/stats/quantile.js";
import { LiveExperiment } from "../../../src/stream/live-experiment.js";
import { studentTQuantile } from "../../../src/stats/distributions.js";
import { version } from "../../contract/store-contract.js";
import { ROOT } from "../../helpers.js";

// Made by scripts/make-quantile-fixtures.py with numpy: exact quantiles, and a bootstrap over whole units of their standard errors.
interface Reference {
  q: number;
  control: number;
  treatment: number;
  bootstrapSe: { control: number; treatment: number; relative: number };
  independentOutcomesRelativeSe: number;
}
interface Case {
  name: string;
  control: number[][];
  treatment: number[][];
  quantiles: Reference[];
}
const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "quantile.json"), "utf8")) as { cases: Case[] };
const RUNNING = { status: "running", canaryStep: 0 } as const;
const arms = [version(1), version(2)];

function experimentFor(q: number): LiveExperiment {
  const { policy, problems } = parsePolicy({
    primary: { kpi: "conversion", kind: "proportion", direction: "increase" },
    guardrails: [{ kpi: "latency_q", kind: "mean", direction: "decrease", tolerance: 0.05, metric: "quantile", quantile: q, of: "latency_ms" }],
  });
  if (!policy) throw new Error(problems.join("; "));
  return new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policy) });
}

function stream(experiment: LiveExperiment, control: number[][], treatment: number[][], prefix = ""): ExperimentSnapshot {
  [control, treatment].forEach((side, arm) =>
    side.forEach((outcomes, u) => {
      const unit = `${prefix}${arm}-${u}`;
      experiment.recordExposure(unit, arms[arm]!.id);
      for (const latency of outcomes) experiment.recordOutcome(unit, arms[arm]!.id, { latency_ms: latency });
    }),
  );
  return experiment.snapshot(1, RUNNING);
}

const options = { kind: "mean", direction: "decrease", relative: true, alpha: 0.05 } as const;

describe("quantile metrics against numpy", () => {
  for (const c of fixtures.cases)
    for (const ref of c.quantiles) {
      it(`${c.name}, q = ${ref.q}: the quantile to 1 % (bin width), its standard error near the unit bootstrap's`, () => {
        const snapshot = stream(experimentFor(ref.q), c.control, c.treatment);
        const [a, b] = [snapshot.quantiles![0]!.latency_q!, snapshot.quantiles![1]!.latency_q!];
        expect(Math.abs(a.estimate / ref.control - 1)).toBeLessThan(0.01);
        expect(Math.abs(b.estimate / ref.treatment - 1)).toBeLessThan(0.01);
        // The random-groups estimate of a standard error is itself noisy (32 groups: ~13 %).
        expect(Math.sqrt(quantileEstimate(a)!.variance) / ref.bootstrapSe.control).toBeGreaterThan(0.65);
        expect(Math.sqrt(quantileEstimate(a)!.variance) / ref.bootstrapSe.control).toBeLessThan(1.35);
        const comparison = compareArms(snapshot, 1, "latency_q", options)!;
        expect(comparison.effect).toBeCloseTo((ref.treatment - ref.control) / ref.control, 1);
        expect(comparison.se / ref.bootstrapSe.relative).toBeGreaterThan(0.65);
        expect(comparison.se / ref.bootstrapSe.relative).toBeLessThan(1.35);
      });
    }
});

describe("quantile metrics on clustered A/A data", () => {
  it("the 95 % interval of the relative p95 difference covers 0 about 95 % of the time (units of 1–9 correlated outcomes)", () => {
    const rng = seededRng("quantile-coverage");
    const side = (): number[][] =>
      Array.from({ length: 1500 }, () => {
        const level = 120 * Math.exp(0.6 * rng.normal());
        return Array.from({ length: 1 + Math.floor(rng.next() * 9) }, () => level * Math.exp(0.3 * rng.normal()));
      });
    const runs = 300;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const c = stream(experimentFor(0.95), side(), side(), `r${run}-`);
      const comparison = compareArms(c, 1, "latency_q", options)!;
      const half = studentTQuantile(0.975, comparison.df) * comparison.se;
      if (Math.abs(comparison.effect) <= half) covered++;
    }
    // Binomial(300, 0.95) lies in [0.91, 0.99] with probability > 0.998.
    expect(covered / runs).toBeGreaterThan(0.91);
    expect(covered / runs).toBeLessThan(0.99);
  });

  it("a checkpoint keeps the sketches", () => {
    const c = fixtures.cases[0]!;
    const experiment = experimentFor(0.99);
    const before = stream(experiment, c.control, c.treatment).quantiles;
    const restored = LiveExperiment.restore(JSON.parse(JSON.stringify(experiment.checkpoint(RUNNING))), { target: "t", arms, ...evidenceRules(parsePolicy({ primary: { kpi: "conversion", kind: "proportion", direction: "increase" }, guardrails: [{ kpi: "latency_q", kind: "mean", direction: "decrease", tolerance: 0.05, metric: "quantile", quantile: 0.99, of: "latency_ms" }] }).policy!) });
    expect(restored.snapshot(2, RUNNING).quantiles).toEqual(before);
  });
});
