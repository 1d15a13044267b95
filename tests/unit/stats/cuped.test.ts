import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CovariateMoments } from "../../../src/domain/snapshot.js";
import type { Policy } from "../../../src/domain/target.js";
import { EarlierValues } from "../../../src/evidence/earlier-values.js";
import { evidenceRules } from "../../../src/evidence/rules.js";
import { KEY, unitKey } from "../../../src/evidence/unit-key.js";
import { cupedEstimates } from "../../../src/stats/cuped.js";
import { ratioEstimate } from "../../../src/stats/ratio.js";
import { stratifiedUnitEffect } from "../../../src/stats/stratified.js";
import { LiveExperiment } from "../../../src/stream/live-experiment.js";
import { version } from "../../contract/store-contract.js";
import { ROOT } from "../../helpers.js";

// Made by scripts/make-cuped-fixtures.py with numpy (covariance matrices) and statsmodels (OLS).
interface Unit {
  x: number;
  outcomes: number[];
}
interface Adjusted {
  mean: number;
  variance: number;
  unadjustedVariance: number;
}
interface Case {
  name: string;
  control: Unit[];
  treatment: Unit[];
  theta: number;
  controlAdjusted: Adjusted;
  treatmentAdjusted: Adjusted;
  ols?: { treatment: number; x: number };
}
const fixtures = JSON.parse(readFileSync(join(ROOT, "tests", "fixtures", "cuped.json"), "utf8")) as { cases: Case[] };
const RUNNING = { status: "running", canaryStep: 0 } as const;
const close = (actual: number, expected: number, what: string, rel: number): void => {
  if (!(Math.abs(actual - expected) <= rel * Math.max(1e-12, Math.abs(expected)))) throw new Error(`${what}: ${actual} differs from ${expected} by more than ${rel} relative`);
};

/** The covariate moments of an arm, summed here unit by unit. */
function moments(side: readonly Unit[]): CovariateMoments {
  const m = { n: 0, sum: 0, sumSquares: 0, den: 0, denSquares: 0, cross: 0, pre: 0, preSquares: 0, preCross: 0, preDen: 0 };
  for (const u of side) {
    const y = u.outcomes.reduce((a, b) => a + b, 0);
    const d = u.outcomes.length;
    m.n++;
    m.sum += y;
    m.sumSquares += y * y;
    m.den += d;
    m.denSquares += d * d;
    m.cross += y * d;
    m.pre += u.x;
    m.preSquares += u.x * u.x;
    m.preCross += u.x * y;
    m.preDen += u.x * d;
  }
  return m;
}

const policyOf = (primary: object): Policy => ({ primary, guardrails: [], trackedKpis: [] }) as unknown as Policy;
const keyOf = (unit: string): number => (unitKey(unit), KEY[0] as number);

describe("CUPED against numpy and statsmodels", () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: theta, adjusted means and variances (exact)`, () => {
      const got = cupedEstimates(moments(c.control), moments(c.treatment))!;
      close(got.theta, c.theta, "theta", 1e-9);
      close(got.a.mean, c.controlAdjusted.mean, "control mean", 1e-9);
      close(got.b.mean, c.treatmentAdjusted.mean, "treatment mean", 1e-9);
      close(got.a.variance, c.controlAdjusted.variance, "control variance", 1e-9);
      close(got.b.variance, c.treatmentAdjusted.variance, "treatment variance", 1e-9);
      // The unadjusted estimate is stats/ratio.ts's, and the covariate narrows it.
      close(ratioEstimate(moments(c.control))!.variance, c.controlAdjusted.unadjustedVariance, "unadjusted variance", 1e-9);
      expect(got.a.variance).toBeLessThan(c.controlAdjusted.unadjustedVariance);
    });

    if (c.ols) {
      const ols = c.ols;
      it(`${c.name}: the difference is the treatment coefficient of y ~ treatment + x (OLS), theta its slope`, () => {
        const e = stratifiedUnitEffect([{ control: moments(c.control), treatment: moments(c.treatment), returning: { control: moments(c.control), treatment: moments(c.treatment) } }], false)!;
        close(e.effect, ols.treatment, "effect", 1e-9);
        close(cupedEstimates(moments(c.control), moments(c.treatment))!.theta, ols.x, "theta", 1e-9);
      });
    }

    it(`${c.name}: the stream keeps the same covariate sums for units with an earlier value, none for new units`, () => {
      const arms = [version(1), version(2)];
      const units = [c.control, c.treatment].flatMap((side, arm) => side.map((u, i) => ({ id: `${arm}-${i}`, arm, u })));
      // Every other unit is new (no earlier value): it counts in the arm, not in the CUPED sums.
      const returning = units.filter((_, i) => i % 2 === 0);
      const earlier = EarlierValues.after("t/g0", Uint32Array.from(returning.map((r) => keyOf(r.id))), Float32Array.from(returning.map((r) => r.u.x)), EarlierValues.EMPTY, 1e6);
      const experiment = new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [0.5, 0.5], now: 0, covariates: earlier, ...evidenceRules(policyOf({ kpi: "kpi", kind: "mean", direction: "increase", minLift: 0, metric: "per_outcome" })) });
      for (const { id, arm, u } of units) {
        experiment.recordExposure(id, arms[arm]!.id);
        for (const v of u.outcomes) expect(experiment.recordOutcome(id, arms[arm]!.id, { kpi: v }).ok).toBe(true);
      }
      const period = experiment.snapshot(1, RUNNING).periods[0]!;
      [0, 1].forEach((arm) => {
        const expected = moments(returning.filter((r) => r.arm === arm).map((r) => ({ ...r.u, x: Math.fround(r.u.x) })));
        const got = period.returning![arm]!.kpi!;
        for (const field of Object.keys(expected) as (keyof CovariateMoments)[]) close(got[field], expected[field], `${field} of arm ${arm}`, 1e-6);
        expect(period.kpis[arm]!.kpi!.n).toBe(arm === 0 ? c.control.length : c.treatment.length);
      });
      // A checkpoint restored with other covariates (or none) drops the CUPED sums rather than mix them.
      const checkpoint = experiment.checkpoint(RUNNING);
      expect(checkpoint.covariates).toBe("t/g0");
      const rules = evidenceRules(policyOf({ kpi: "kpi", kind: "mean", direction: "increase", minLift: 0, metric: "per_outcome" }));
      expect(LiveExperiment.restore(checkpoint, { target: "t", arms, ...rules, covariates: earlier }).snapshot(2, RUNNING).periods[0]!.returning).toBeDefined();
      expect(LiveExperiment.restore(checkpoint, { target: "t", arms, ...rules }).snapshot(2, RUNNING).periods[0]!.returning).toBeUndefined();
    });
  }
});

describe("earlier values", () => {
  it("finds each unit's value, keeps the latest experiment's units first and at most max", () => {
    const first = EarlierValues.after("t/g1", Uint32Array.of(5, 1, 9), Float32Array.of(0.5, 0.1, 0.9), EarlierValues.EMPTY, 10);
    expect([first.valueOf(1), first.valueOf(5), first.valueOf(9)]).toEqual([Math.fround(0.1), 0.5, Math.fround(0.9)]);
    expect(first.valueOf(2)).toBeNaN();
    // g2 saw units 9 and 3: its value of 9 wins, 1 and 5 are kept from g1 while there is room.
    const second = EarlierValues.after("t/g2", Uint32Array.of(9, 3), Float32Array.of(2, 3), first, 3);
    expect(second.source).toBe("t/g2");
    expect(second.size).toBe(3);
    expect(second.valueOf(9)).toBe(2);
    expect(second.valueOf(3)).toBe(3);
    expect([second.valueOf(1), second.valueOf(5)].filter((v) => !Number.isNaN(v))).toHaveLength(1);
  });

  it("round-trip through bytes for the store; anything else reads back as nothing", () => {
    const kept = EarlierValues.after("t/g7", Uint32Array.of(5, 1, 9), Float32Array.of(0.5, 0.1, 0.9), EarlierValues.EMPTY, 10);
    const bytes = kept.encode();
    const back = EarlierValues.decode(bytes)!;
    expect(back.source).toBe("t/g7");
    expect([back.valueOf(1), back.valueOf(5), back.valueOf(9), back.size]).toEqual([kept.valueOf(1), 0.5, kept.valueOf(9), 3]);
    expect(EarlierValues.decode(bytes.subarray(0, bytes.length - 1))).toBeNull();
    expect(EarlierValues.decode(new TextEncoder().encode("garbage, not values"))).toBeNull();
    const unsorted = bytes.slice();
    new DataView(unsorted.buffer).setUint32(7 + 4 + 4, 0, true); // the first key after the source "t/g7" and n
    expect(EarlierValues.decode(unsorted)).not.toBeNull(); // 0 < 5: still sorted
    new DataView(unsorted.buffer).setUint32(7 + 4 + 4 + 4, 0, true); // the second key now equals the first
    expect(EarlierValues.decode(unsorted)).toBeNull();
  });

  it("an ended experiment leaves its units' primary values (y / d) for the next", () => {
    const arms = [version(1), version(2)];
    const experiment = new LiveExperiment({ id: "t/g1", target: "t", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policyOf({ kpi: "kpi", kind: "proportion", direction: "increase", minLift: 0, metric: "per_outcome" })) });
    experiment.recordExposure("a", arms[0]!.id);
    experiment.recordOutcome("a", arms[0]!.id, { kpi: 1 });
    experiment.recordOutcome("a", arms[0]!.id, { kpi: 0 });
    experiment.recordExposure("b", arms[1]!.id); // exposed, no outcome: no value of a per-outcome rate
    const earlier = experiment.earlierValues(EarlierValues.EMPTY, 100);
    expect(earlier.size).toBe(1);
    expect(earlier.valueOf(keyOf("a"))).toBe(0.5);
    expect(earlier.valueOf(keyOf("b"))).toBeNaN();
  });
});
