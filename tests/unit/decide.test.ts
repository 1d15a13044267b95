import { describe, expect, it } from "vitest";
import { analyze } from "../../src/decide/analysis.js";
import { decide } from "../../src/decide/decision.js";
import type { ExperimentStatus } from "../../src/domain/experiment.js";
import type { ExperimentSnapshot, Moments } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { checkoutTarget } from "../helpers.js";
import { perUnit } from "../../src/evidence/arm-stats.js";

const policy: Policy = checkoutTarget().policy;
const ids = ["b", "c1", "c2"].map((x) => x.repeat(64).slice(0, 64));

/** Proportion moments with rate p over n units; mean moments for latency with mean m and sd s. */
const prop = (n: number, p: number): Moments => ({ n, sum: Math.round(n * p), sumSquares: Math.round(n * p) });
const mean = (n: number, m: number, s: number): Moments => ({ n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m });

interface ArmSpec {
  n: number;
  conversion: number;
  latency?: number;
  error?: number;
  windowError?: number;
}

function snapshot(arms: ArmSpec[], status: ExperimentStatus = "running", extra: Partial<ExperimentSnapshot> = {}): ExperimentSnapshot {
  const kpis = arms.map((a) => ({
    conversion: perUnit(prop(a.n, a.conversion)),
    latency_ms: perUnit(mean(a.n, a.latency ?? 200, 80)),
    error: perUnit(prop(a.n, a.error ?? 0.02)),
  }));
  const total = arms.reduce((s, a) => s + a.n, 0);
  return {
    experiment: "checkout/g1",
    target: "checkout",
    generation: 1,
    status,
    at: 0,
    arms: ids.slice(0, arms.length),
    pulled: [],
    canaryStep: 0,
    units: arms.map((a) => a.n),
    periods: [{ revision: 1, from: 0, weights: arms.map((a) => a.n / total), newUnits: arms.map((a) => a.n), kpis }],
    trips: arms.flatMap((a, i) => (a.windowError === undefined ? [] : [{ arm: ids[i] as string, kpi: "error", rate: a.windowError, limit: 0.08, n: 200, at: 0 }])),
    ...extra,
  };
}

const run = (s: ExperimentSnapshot) => decide(s, analyze(s, policy), policy);

describe("decision policy", () => {
  it("commits a clearly better candidate once running with enough units", () => {
    const d = run(snapshot([{ n: 30000, conversion: 0.1 }, { n: 30000, conversion: 0.115 }]));
    expect(d.pulls).toEqual([]);
    expect(d.verdict.kind).toBe("commit");
    if (d.verdict.kind === "commit") expect(d.verdict.arm).toBe(ids[1]);
  });

  it("does not commit from canary: it ramps instead", () => {
    const d = run(snapshot([{ n: 30000, conversion: 0.1 }, { n: 30000, conversion: 0.115 }], "canary"));
    expect(d.verdict).toMatchObject({ kind: "ramp", toStep: 1 });
  });

  it("promotes after the last canary step", () => {
    const d = run(snapshot([{ n: 3000, conversion: 0.1 }, { n: 3000, conversion: 0.1 }], "canary", { canaryStep: 2 }));
    expect(d.verdict.kind).toBe("promote");
  });

  it("waits in canary until every arm has the step's units", () => {
    const d = run(snapshot([{ n: 3000, conversion: 0.1 }, { n: 100, conversion: 0.1 }], "canary"));
    expect(d.verdict.kind).toBe("continue");
  });

  it("does not commit a lift that the always-valid interval cannot separate from zero", () => {
    // +5% relative at 10% with 5k per arm: a fixed-horizon z-test would be borderline, the sequence is not.
    const d = run(snapshot([{ n: 5000, conversion: 0.1 }, { n: 5000, conversion: 0.105 }]));
    expect(d.verdict.kind).toBe("continue");
  });

  it("does not commit a winner whose latency is beyond tolerance, and pulls it once the bound shows it", () => {
    const beyond = run(snapshot([{ n: 30000, conversion: 0.1, latency: 200 }, { n: 30000, conversion: 0.115, latency: 212 }]));
    expect(beyond.verdict.kind).not.toBe("commit");
    const breached = run(snapshot([{ n: 30000, conversion: 0.1, latency: 200 }, { n: 30000, conversion: 0.115, latency: 240 }]));
    expect(breached.pulls.map((p) => p.cause)).toEqual(["guardrail"]);
    expect(breached.pulls[0]?.reason).toMatch(/guardrail latency_ms degraded/);
    expect(breached.verdict.kind).toBe("rollback");
  });

  it("pulls a candidate whose primary is significantly worse and keeps the other running", () => {
    const d = run(snapshot([{ n: 30000, conversion: 0.1 }, { n: 30000, conversion: 0.08 }, { n: 30000, conversion: 0.1 }]));
    expect(d.pulls).toEqual([expect.objectContaining({ arm: ids[1], cause: "primary_worse" })]);
    expect(d.verdict.kind).toBe("continue");
  });

  it("records a circuit-breaker trip as a pull, before any statistics", () => {
    const d = run(snapshot([{ n: 300, conversion: 0.1 }, { n: 300, conversion: 0.1, windowError: 0.2 }], "canary", { pulled: [ids[1] as string] }));
    expect(d.pulls).toEqual([expect.objectContaining({ cause: "circuit_breaker" })]);
    expect(d.verdict.kind).toBe("rollback");
  });

  it("holds every decision on a sample-ratio mismatch", () => {
    const s = snapshot([{ n: 30000, conversion: 0.1 }, { n: 30000, conversion: 0.115 }]);
    const skewed = { ...s, periods: s.periods.map((p) => ({ ...p, weights: [0.6, 0.4] })) };
    const d = run(skewed);
    expect(d.verdict.kind).toBe("hold");
  });

  it("ends inconclusive when every candidate has spent its budget", () => {
    const d = run(snapshot([{ n: 50000, conversion: 0.1 }, { n: 50000, conversion: 0.1 }]));
    expect(d.verdict.kind).toBe("inconclusive");
  });

  it("extends the budget while an arm is likely to beat the baseline, up to extendFactor × the budget", () => {
    // 84,000 units against a budget of 80,000: +3 % is a 92 % chance to win, not yet significant.
    const promising = run(snapshot([{ n: 42000, conversion: 0.1 }, { n: 42000, conversion: 0.103 }]));
    expect(promising.verdict.kind).toBe("continue");
    expect(promising.verdict.reason).toMatch(/extended up to 160000 while c1c1c1c1c1c1 has a 9\d\.\d% chance to beat the baseline/);
    const never = { ...policy, search: { ...policy.search, extendFactor: 1 } };
    const s = snapshot([{ n: 42000, conversion: 0.1 }, { n: 42000, conversion: 0.103 }]);
    expect(decide(s, analyze(s, never), never).verdict.kind).toBe("inconclusive");
    // Past twice the budget it ends, however promising.
    const eager = { ...policy, search: { ...policy.search, extendChance: 0.5 } };
    const long = snapshot([{ n: 81000, conversion: 0.1 }, { n: 81000, conversion: 0.1015 }]);
    expect(decide(long, analyze(long, eager), eager).verdict.kind).toBe("inconclusive");
  });

  it("splits alpha over live candidates (Bonferroni)", () => {
    const a = analyze(snapshot([{ n: 100, conversion: 0.1 }, { n: 100, conversion: 0.1 }, { n: 100, conversion: 0.1 }]), policy);
    expect(a.primaryAlpha).toBeCloseTo(policy.alpha / 2, 12);
  });
});
