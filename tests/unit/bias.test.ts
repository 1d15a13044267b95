import { describe, expect, it } from "vitest";
import { analyze, compareArms, pooled } from "../../src/decide/analysis.js";
import type { Version } from "../../src/domain/version.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { compare } from "../../src/stats/compare.js";
import { fromSuccesses } from "../../src/stats/moments.js";
import { stratifiedEffect } from "../../src/stats/stratified.js";
import { welchEffect } from "../../src/stats/welch.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";

const RUNNING = { status: "running", canaryStep: 0 } as const;
import { checkoutTarget } from "../helpers.js";
import { rulesFor } from "../evidence.js";

const version = (n: number): Version => ({ id: String(n).repeat(64).slice(0, 64), target: "checkout", values: { n }, parent: null, mutations: [], seed: null, generation: 1, createdAt: 0 });

describe("stratified effect", () => {
  it("is Welch's estimate when there is one stratum", () => {
    const control = fromSuccesses(5000, 500);
    const treatment = fromSuccesses(4000, 460);
    for (const relative of [false, true]) {
      const s = stratifiedEffect([{ control, treatment }], "proportion", relative)!;
      const w = welchEffect(control, treatment, "proportion", relative)!;
      expect(s.effect).toBeCloseTo(w.effect, 14);
      expect(s.se).toBeCloseTo(w.se, 14);
      expect(s.df).toBeCloseTo(w.df, 8);
    }
  });

  it("skips strata where an arm has no comparison", () => {
    const e = stratifiedEffect([{ control: fromSuccesses(0, 0), treatment: fromSuccesses(100, 10) }, { control: fromSuccesses(1000, 100), treatment: fromSuccesses(1000, 120) }], "proportion", false)!;
    expect(e.effect).toBeCloseTo(0.02, 12);
    expect(stratifiedEffect([{ control: fromSuccesses(1, 1), treatment: fromSuccesses(100, 10) }], "proportion", false)).toBeNull();
  });
});

describe("bias under adaptive allocation (Simpson's paradox)", () => {
  /**
   * A/A with a time trend: both arms convert at 5% in the first period and 15% in the second,
   * while the allocation moves from 90/10 to 10/90 (as a bandit might). No arm is better.
   */
  function trendWithShiftingWeights() {
    const rng = seededRng("simpson");
    const experiment = new LiveExperiment({ id: "checkout/g1", target: "checkout", generation: 1, arms: [version(1), version(2)], weights: [0.9, 0.1], now: 0, ...rulesFor([["conversion", "proportion"]]) });
    let unit = 0;
    const serve = (count: number, rate: number) => {
      for (let i = 0; i < count; i++) {
        const u = `u${unit++}`;
        const arm = experiment.assign(u);
        experiment.recordExposure(u, arm.id);
        experiment.recordOutcome(u, arm.id, { conversion: rng.next() < rate ? 1 : 0 });
      }
    };
    serve(40_000, 0.05);
    experiment.setWeights([0.1, 0.9], 1);
    serve(40_000, 0.15);
    return experiment.snapshot(2, RUNNING);
  }

  it("naive pooling finds a large false lift; evolvd's stratified estimate does not", () => {
    const snapshot = trendWithShiftingWeights();
    expect(snapshot.periods).toHaveLength(2);
    const options = { kind: "proportion" as const, direction: "increase" as const, relative: true, alpha: 0.05 };
    const naive = compare(pooled(snapshot, 0, "conversion"), pooled(snapshot, 1, "conversion"), options)!;
    const stratified = compareArms(snapshot, 1, "conversion", options)!;
    // Pooled: the candidate mostly saw the 15% period, the baseline the 5% one.
    expect(naive.effect).toBeGreaterThan(0.5);
    expect(naive.ci[0]).toBeGreaterThan(0);
    // Within periods there is nothing to find.
    expect(Math.abs(stratified.effect)).toBeLessThan(0.05);
    expect(stratified.ci[0]).toBeLessThan(0);
    expect(stratified.ci[1]).toBeGreaterThan(0);
  });

  it("so the decision policy does not commit the A/A candidate", () => {
    const policy = { ...checkoutTarget().policy, guardrails: [] };
    const analysis = analyze(trendWithShiftingWeights(), policy);
    expect(analysis.arms[0]?.primary.verdict).toBe("unclear");
  });
});
