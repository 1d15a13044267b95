import { describe, expect, it } from "vitest";
import { analyzeSegments } from "../../src/decide/segments.js";
import type { UnitMoments } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { evidenceRules } from "../../src/evidence/rules.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";
import { compileSegments } from "../../src/targeting/segments.js";
import { checkoutTarget } from "../helpers.js";

const target = checkoutTarget();
const segments = compileSegments([{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }, { name: "desktop", rule: { "==": [{ var: "device" }, "desktop"] } }], "policy.segments").segments ?? [];
const policy: Policy = { ...target.policy, segments, minUnitsPerArm: 100, sequentialTuning: 4000 };
const arms = [
  { id: "a".repeat(64), target: "checkout", values: target.baseline, parent: null, mutations: [], seed: null, generation: 0, createdAt: 0 },
  { id: "b".repeat(64), target: "checkout", values: target.baseline, parent: null, mutations: [], seed: null, generation: 1, createdAt: 0 },
];
const experiment = () => new LiveExperiment({ id: "checkout/g1", target: "checkout", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policy) });
const lifecycle = { status: "running" as const, canaryStep: 0 };

/** Sums a metric's moments over a snapshot part's periods, arm by arm. */
const sums = (periods: readonly { kpis: readonly Readonly<Record<string, UnitMoments>>[] }[], metric: string, arm: number) =>
  periods.reduce((acc, p) => {
    const m = p.kpis[arm]?.[metric];
    return m ? { n: acc.n + m.n, sum: acc.sum + m.sum } : acc;
  }, { n: 0, sum: 0 });

describe("statistics by segment", () => {
  it("partition the units: segments add up to the whole, and a unit stays in the segment of its first exposure", () => {
    const e = experiment();
    const rng = seededRng("segments");
    for (let i = 0; i < 3000; i++) {
      const unit = `u${i}`;
      const device = ["mobile", "desktop", "tv"][i % 3] as string;
      e.recordExposure(unit, undefined, { device }, i);
      e.recordOutcome(unit, undefined, { conversion: rng.next() < 0.3 ? 1 : 0, latency_ms: 100 + rng.next() * 50, error: 0 }, i);
      // Later exposures with other attributes, and an outcome naming the other arm: same segment.
      if (i % 10 === 0) {
        e.recordExposure(unit, undefined, { device: "desktop" }, i);
        e.recordOutcome(unit, arms[1 - (e.served.latestArm(unit) ?? 0)]?.id, { conversion: 1 }, i);
      }
    }
    e.setWeights([0.3, 0.7], 5000);
    for (let i = 3000; i < 3300; i++) e.recordExposure(`u${i}`, undefined, { device: "mobile" }, i);
    const snapshot = e.snapshot(6000, lifecycle);
    expect(snapshot.segments?.map((s) => s.segment)).toEqual(["mobile", "desktop", "other"]);
    for (let arm = 0; arm < 2; arm++) {
      expect(snapshot.segments?.reduce((n, s) => n + (s.units[arm] as number), 0)).toBe(snapshot.units[arm]);
      for (const metric of ["conversion", "latency_ms"]) {
        const whole = sums(snapshot.periods, metric, arm);
        const parts = (snapshot.segments ?? []).map((s) => sums(s.periods, metric, arm));
        expect(parts.reduce((a, b) => a + b.n, 0)).toBe(whole.n);
        expect(parts.reduce((a, b) => a + b.sum, 0)).toBeCloseTo(whole.sum, 6);
      }
    }
    const units = (s: number) => (snapshot.segments?.[s]?.units ?? []).reduce((a, b) => a + b, 0);
    // Unit i is in device i % 3 for good (its re-exposure as desktop changes nothing), plus the 300 late mobile ones.
    expect([units(0), units(1), units(2)]).toEqual([1300, 1000, 1000]);
    // Rows with outcomes: each segment's 1,000 units and the 100 rows that one in ten of them
    // began in the other arm — kept in the unit's segment, not moved to "other".
    const rows = (s: number) => [0, 1].reduce((n, arm) => n + sums(snapshot.segments?.[s]?.periods ?? [], "conversion", arm).n, 0);
    expect([rows(0), rows(1), rows(2)]).toEqual([1100, 1100, 1100]);
    expect(snapshot.segments?.every((s) => s.periods.length === snapshot.periods.length)).toBe(true);
    // A checkpoint restores them as they were.
    const checkpoint = e.checkpoint(lifecycle);
    const back = LiveExperiment.restore(JSON.parse(JSON.stringify(checkpoint)), { target: "checkout", arms, ...evidenceRules(policy) });
    expect(back.snapshot(6000, lifecycle).segments).toEqual(snapshot.segments);
  });

  it("read each segment at alpha / segments: a candidate better only on mobile reads better there, not elsewhere", () => {
    const e = experiment();
    const rng = seededRng("one-segment");
    for (let i = 0; i < 24_000; i++) {
      const unit = `v${i}`;
      const device = i % 2 === 0 ? "mobile" : "desktop";
      const arm = e.assign(unit);
      const p = device === "mobile" && arm.id === arms[1]?.id ? 0.36 : 0.3;
      e.recordExposure(unit, arm.id, { device }, i);
      e.recordOutcome(unit, arm.id, { conversion: rng.next() < p ? 1 : 0, latency_ms: 100, error: 0 }, i);
    }
    const bySegment = analyzeSegments(e.snapshot(1, lifecycle), policy);
    expect(bySegment.map((s) => [s.segment, s.alpha])).toEqual([["mobile", policy.alpha / 3], ["desktop", policy.alpha / 3], ["other", policy.alpha / 3]]);
    expect(bySegment[0]?.analysis.arms[0]?.primary.verdict).toBe("better");
    expect(bySegment[1]?.analysis.arms[0]?.primary.verdict).toBe("unclear");
    expect(bySegment[2]?.analysis.arms[0]?.units).toBe(0);
  });
});
