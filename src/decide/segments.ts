import type { Policy } from "../domain/target.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import { analyze, type Analysis } from "./analysis.js";

/** One segment's analysis, at the error rate it was read with. */
export interface SegmentAnalysis {
  readonly segment: string;
  /** The policy's alpha shared out over the segments (Bonferroni). */
  readonly alpha: number;
  readonly analysis: Analysis;
}

/**
 * Each segment of a snapshot analysed as the whole experiment is — the same sequential tests,
 * per allocation period — at alpha / (number of segments, "other" included): the chance that any
 * segment shows a difference that is not there stays within alpha, however many segments are
 * read. Quantile metrics and CUPED adjust the whole only; segments read them unadjusted (their
 * quantiles are absent). The decisions of the experiment are taken on the whole, never here.
 */
export function analyzeSegments(snapshot: ExperimentSnapshot, policy: Policy): SegmentAnalysis[] {
  const segments = snapshot.segments ?? [];
  const alpha = policy.alpha / Math.max(1, segments.length);
  return segments.map((s) => {
    const { quantiles: _quantiles, segments: _segments, ...rest } = snapshot;
    const periods = s.periods.map(({ returning: _returning, ...p }) => p);
    return { segment: s.segment, alpha, analysis: analyze({ ...rest, units: s.units, periods, trips: [] }, { ...policy, alpha }) };
  });
}

/** What a decision's history evidence keeps of the segments: per arm, units and the primary's reading, guardrail effects. */
export function segmentEvidence(list: readonly SegmentAnalysis[]): unknown {
  return list.map(({ segment, alpha, analysis }) => ({
    segment,
    alpha,
    baselineUnits: analysis.baselineUnits,
    arms: analysis.arms.map((a) => ({
      arm: a.arm,
      units: a.units,
      primary: a.primary.comparison && { kpi: a.primary.kpi, verdict: a.primary.verdict, effect: a.primary.comparison.effect, se: a.primary.comparison.se, ci: a.primary.comparison.ci, pValue: a.primary.comparison.pValue },
      // se and n chain a segment's commits into its drift from the anchor (decide/drift.ts).
      guardrails: a.guardrails.map((g) => ({ kpi: g.kpi, effect: g.comparison?.effect ?? null, se: g.comparison?.se ?? null, n: g.comparison?.n ?? null, ci: g.comparison?.ci ?? null, beyondTolerance: g.beyondTolerance })),
    })),
  }));
}
