import type { CovariateMoments, UnitMoments } from "../domain/snapshot.js";
import { cupedEstimates, withoutUnits } from "./cuped.js";
import { meanOf, varianceOf, type Moments } from "./moments.js";
import { ratioEstimate, type Estimate } from "./ratio.js";
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
  const estimate = (m: Moments): Estimate => ({ mean: meanOf(m), variance: varianceOf(m, kind) / m.n, n: m.n });
  return combine(
    strata.filter((s) => s.control.n >= 2 && s.treatment.n >= 2).map((s) => ({ a: estimate(s.control), b: estimate(s.treatment) })),
    relative,
  );
}

/**
 * One allocation period's unit statistics of the two arms being compared, and, when CUPED is
 * on, those of the units among them that have a pre-exposure covariate.
 */
export interface UnitStratum {
  readonly control: UnitMoments;
  readonly treatment: UnitMoments;
  readonly returning?: { readonly control: CovariateMoments; readonly treatment: CovariateMoments };
}

/**
 * stratifiedEffect on per-unit statistics: within each allocation period each arm's estimate
 * is its ratio estimate over units (stats/ratio.ts), and periods are averaged with weights
 * proportional to their units. With one stratum and d = 1 this is Welch's estimate on units.
 *
 * A period with returning units splits in two strata (post-stratification on having a
 * covariate): the units with one, CUPED-adjusted (stats/cuped.ts), and the new units, as they
 * are. Without returning units nothing changes.
 */
export function stratifiedUnitEffect(strata: readonly UnitStratum[], relative: boolean): Effect | null {
  const pairs: { a: Estimate; b: Estimate }[] = [];
  const plain = (control: UnitMoments, treatment: UnitMoments): void => {
    const a = ratioEstimate(control);
    const b = ratioEstimate(treatment);
    if (a && b) pairs.push({ a, b });
  };
  for (const s of strata) {
    const adjusted = s.returning ? cupedEstimates(s.returning.control, s.returning.treatment) : null;
    if (!s.returning || !adjusted) {
      plain(s.control, s.treatment);
      continue;
    }
    pairs.push(adjusted);
    plain(withoutUnits(s.control, s.returning.control), withoutUnits(s.treatment, s.returning.treatment));
  }
  return combine(pairs, relative);
}

/** The stratum-weighted effect of arm estimates (b over a), weights ∝ units, Welch–Satterthwaite df. */
function combine(used: readonly { readonly a: Estimate; readonly b: Estimate }[], relative: boolean): Effect | null {
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
  // Delta method on the stratified means, as for the pooled relative lift.
  const se = Math.sqrt(vB / (mA * mA) + (vA * mB * mB) / mA ** 4);
  return { effect: (mB - mA) / Math.abs(mA), se, df, controlMean: mA, treatmentMean: mB, n: total };
}
