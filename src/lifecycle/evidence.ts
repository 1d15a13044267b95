import type { Analysis } from "../decide/analysis.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";

/** Allocation periods kept in a decision's evidence: a bandit that reallocates every tick makes many. */
const MAX_PERIODS = 200;

/**
 * The numbers a decision was based on, as stored in the history and printed by reports. With
 * the snapshot, the allocation over time too (each period's start and weights, the newest
 * MAX_PERIODS), so a report drawn from the history alone shows how traffic moved.
 */
export function evidenceOf(analysis: Analysis, snapshot?: ExperimentSnapshot): unknown {
  return {
    at: analysis.at,
    primaryAlpha: analysis.primaryAlpha,
    baselineUnits: analysis.baselineUnits,
    srm: { chiSquare: analysis.srm.chiSquare, pValue: analysis.srm.pValue, alarm: analysis.srm.alarm },
    arms: analysis.arms.map((a) => ({
      arm: a.arm,
      units: a.units,
      pulled: a.pulled,
      primary: a.primary.comparison && {
        kpi: a.primary.kpi,
        verdict: a.primary.verdict,
        effect: a.primary.comparison.effect,
        // se lets the search learn from this arm (search/observations.ts).
        se: a.primary.comparison.se,
        n: a.primary.comparison.n,
        ci: a.primary.comparison.ci,
        pValue: a.primary.comparison.pValue,
        chanceToWin: a.primary.comparison.chanceToWin,
        controlMean: a.primary.comparison.controlMean,
        treatmentMean: a.primary.comparison.treatmentMean,
      },
      // se and n let later commits chain this one's effects (decide/drift.ts).
      guardrails: a.guardrails.map((g) => ({ kpi: g.kpi, effect: g.comparison?.effect ?? null, se: g.comparison?.se ?? null, n: g.comparison?.n ?? null, bound: g.bound, tolerance: g.tolerance, breached: g.breached })),
    })),
    ...(snapshot ? { allocation: snapshot.periods.slice(-MAX_PERIODS).map((p) => ({ from: p.from, weights: p.weights })) } : {}),
  };
}
