import { describe, expect, it } from "vitest";
import { analyze } from "../../src/decide/analysis.js";
import { decide } from "../../src/decide/decision.js";
import { addSteps, NO_DRIFT, stepsFromEvidence } from "../../src/decide/drift.js";
import type { HistoryEntry } from "../../src/domain/history.js";
import type { ExperimentSnapshot, Moments } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { perUnit } from "../../src/evidence/arm-stats.js";
import { restore } from "../../src/lifecycle/restore.js";
import { checkoutTarget } from "../helpers.js";

const target = checkoutTarget();
const policy: Policy = target.policy;
const ids = ["b", "c1"].map((x) => x.repeat(64).slice(0, 64));
const mean = (n: number, m: number, s: number): Moments => ({ n, sum: n * m, sumSquares: (n - 1) * s * s + n * m * m });
const prop = (n: number, p: number): Moments => ({ n, sum: Math.round(n * p), sumSquares: Math.round(n * p) });

/** A running experiment whose candidate converts better and is `latencyLift` slower. */
function snapshot(latencyLift: number): ExperimentSnapshot {
  const n = 35_000; // per arm, within the budget (maxUnitsPerArm 40,000)
  const kpis = [0, 1].map((i) => ({ conversion: perUnit(prop(n, i === 0 ? 0.1 : 0.115)), latency_ms: perUnit(mean(n, 200 * (i === 0 ? 1 : 1 + latencyLift), 20)), error: perUnit(prop(n, 0.02)) }));
  return { experiment: "checkout/g3", target: "checkout", generation: 3, status: "running", at: 0, arms: ids, pulled: [], canaryStep: 0, units: [n, n], periods: [{ revision: 1, from: 0, weights: [0.5, 0.5], newUnits: [n, n], kpis }], trips: [] };
}

describe("guardrail drift from the anchor", () => {
  const tolerance = policy.guardrails.find((g) => g.kpi === "latency_ms")!.tolerance;

  it("a step within tolerance is committed from the anchor, held back once earlier commits have used the tolerance up", () => {
    const s = snapshot(0.03);
    expect(decide(s, analyze(s, policy), policy).verdict.kind).toBe("commit");
    // Two earlier commits each made latency 2 % worse: +3 % more would be about +7.3 % from the anchor.
    const drift = addSteps(addSteps(NO_DRIFT, { latency_ms: { effect: 0.02, se: 0.001, n: 100_000 } }), { latency_ms: { effect: 0.02, se: 0.001, n: 100_000 } });
    const held = decide(s, analyze(s, policy), policy, drift);
    expect(held.verdict.kind).toBe("continue");
    expect(held.verdict.reason).toMatch(/a winner is held back: guardrail latency_ms would be \+7\.\d\d% from the anchor .*tolerance \+5\.00%/);
    expect(tolerance).toBe(0.05);
    // Improvements since the anchor leave room: the same step is committed.
    const room = addSteps(NO_DRIFT, { latency_ms: { effect: -0.04, se: 0.001, n: 100_000 } });
    expect(decide(s, analyze(s, policy), policy, room).verdict.kind).toBe("commit");
  });

  it("is replayed from the history: commits chain their evidence, an operator rollback returns to its version's drift, a reload is a new anchor", () => {
    const v = (id: string) => id.repeat(64).slice(0, 64);
    const evidence = (arm: string, effect: number) => ({ arms: [{ arm, guardrails: [{ kpi: "latency_ms", effect, se: 0.002, n: 50_000 }] }] });
    const history: HistoryEntry[] = [
      { kind: "baseline", at: 0, version: v("a"), previous: null, cause: "initial", reason: "" },
      { kind: "baseline", at: 1, version: v("b"), previous: v("a"), cause: "commit", reason: "", experiment: "t/g1", evidence: evidence(v("b"), 0.02) },
      { kind: "baseline", at: 2, version: v("c"), previous: v("b"), cause: "commit", reason: "", experiment: "t/g2", evidence: evidence(v("c"), 0.01) },
      { kind: "baseline", at: 3, version: v("b"), previous: v("c"), cause: "rollback", reason: "operator" },
    ];
    const expected = addSteps(NO_DRIFT, stepsFromEvidence(evidence(v("b"), 0.02), v("b")));
    const byVersion = (entries: HistoryEntry[]) => restore({ target: { ...target, name: "t" }, history: entries, checkpoint: null, now: 4 }).state.drift;
    expect(byVersion(history).get(v("b"))).toEqual(expected);
    expect(byVersion(history).get(v("c"))?.latency_ms?.log).toBeCloseTo(Math.log(1.02) + Math.log(1.01), 12);
    expect(stepsFromEvidence({ arms: [{ arm: v("b"), guardrails: [{ kpi: "latency_ms", effect: 0.02 }] }] }, v("b"))).toEqual({ latency_ms: { effect: 0.02, se: 0, n: 0 } });
    expect(byVersion([...history, { kind: "baseline", at: 5, version: v("b"), previous: v("b"), cause: "reload", reason: "" }]).get(v("b"))).toEqual(NO_DRIFT);
  });
});
