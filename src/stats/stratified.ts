import type { UnitMoments } from "../domain/snapshot.js";
import { meanOf, varianceOf, type Moments } from "./moments.js";
import { ratioEstimate } from "./ratio.js";
import type { Effect, Kind } from "./welch.js";

/** One allocation period's statistics of the two arms being compared. */
export interface Stratum {
  readonly control: Moments;
  readonly treatment: Moments;
}

/**
 * Effect estimated within strata (allocation periods) and averaged with weights proportional
 * to each stratum's units. When allocation changes over time and the KPI drifts, pooling all
 * periods compares arms observed at different times in different proportions (Simpson's
 * paradox); comparing within periods does not. With one stratum this is exactly Welch's
 * estimate; df follow the Welch–Satterthwaite generalisation over strata.
 *
 * Strata where either arm has fewer than two observations carry no comparison and are skipped.
 */
export function stratifiedEffect(strata: readonly Stratum[], kind: Kind, relative: boolean): Effect | null {
  const used = strata.filter((s) => s.control.n >= 2 && s.treatment.n >= 2);
  if (used.length === 0) return null;
  const total = used.reduce((sum, s) => sum + s.control.n + s.treatment.n, 0);
  let mA = 0;
  let mB = 0;
  let vA = 0;
  let vB = 0;
  let dfDenominator = 0;
  for (const s of used) {
    const w = (s.control.n + s.treatment.n) / total;
    mA += w * meanOf(s.control);
    mB += w * meanOf(s.treatment);
    const qA = (w * w * varianceOf(s.control, kind)) / s.control.n;
    const qB = (w * w * varianceOf(s.treatment, kind)) / s.treatment.n;
    vA += qA;
    vB += qB;
    dfDenominator += (qA * qA) / (s.control.n - 1) + (qB * qB) / (s.treatment.n - 1);
  }
  const df = dfDenominator > 0 ? (vA + vB) ** 2 / dfDenominator : Number.POSITIVE_INFINITY;
  if (!relative) return { effect: mB - mA, se: Math.sqrt(vA + vB), df, controlMean: mA, treatmentMean: mB, n: total };
  if (mA === 0) return null;
  // Delta method on the stratified means, as for the pooled relative lift.
  const se = Math.sqrt(vB / (mA * mA) + (vA * mB * mB) / mA ** 4);
  return { effect: (mB - mA) / Math.abs(mA), se, df, controlMean: mA, treatmentMean: mB, n: total };
}

/** One allocation period's unit statistics of the two arms being compared. */
export interface UnitStratum {
  readonly control: UnitMoments;
  readonly treatment: UnitMoments;
}

/**
 * stratifiedEffect on per-unit statistics: within each allocation period each arm's estimate
 * is its ratio estimate over units (stats/ratio.ts), and periods are averaged with weights
 * proportional to their units. With one stratum and d = 1 this is Welch's estimate on units.
 */
export function stratifiedUnitEffect(strata: readonly UnitStratum[], relative: boolean): Effect | null {
  const used = strata.flatMap((s) => {
    const a = ratioEstimate(s.control);
    const b = ratioEstimate(s.treatment);
    return a && b ? [{ a, b }] : [];
  });
  if (used.length === 0) return null;
  const total = used.reduce((sum, s) => sum + s.a.n + s.b.n, 0);
  let mA = 0;
  let mB = 0;
  let vA = 0;
  let vB = 0;
  let dfDenominator = 0;
  for (const { a, b } of used) {
    const w = (a.n + b.n) / total;
    mA += w * a.mean;
    mB += w * b.mean;
    const qA = w * w * a.variance;
    const qB = w * w * b.variance;
    vA += qA;
    vB += qB;
    dfDenominator += (qA * qA) / (a.n - 1) + (qB * qB) / (b.n - 1);
  }
  const df = dfDenominator > 0 ? (vA + vB) ** 2 / dfDenominator : Number.POSITIVE_INFINITY;
  if (!relative) return { effect: mB - mA, se: Math.sqrt(vA + vB), df, controlMean: mA, treatmentMean: mB, n: total };
  if (mA === 0) return null;
  const se = Math.sqrt(vB / (mA * mA) + (vA * mB * mB) / mA ** 4);
  return { effect: (mB - mA) / Math.abs(mA), se, df, controlMean: mA, treatmentMean: mB, n: total };
}
