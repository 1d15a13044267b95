import type { UnitMoments } from "../domain/snapshot.js";

/** An arm's estimate of a metric: its mean and the variance of that mean, over `n` units. */
export interface Estimate {
  readonly mean: number;
  /** Variance of the mean (the squared standard error). */
  readonly variance: number;
  readonly n: number;
}

/**
 * The ratio estimate Σy / Σd over units and its delta-method variance, with the covariance of
 * numerator and denominator (as GrowthBook's gbstats and Eppo compute ratio metrics):
 *   R = ȳ / d̄,  Var(R) ≈ (s²_y − 2R·s_yd + R²·s²_d) / (n·d̄²),
 * sample (co)variances over units with n − 1. Units are the independent draws, so outcomes of one
 * unit, however correlated, never narrow the interval. With d = 1 for every unit this is the
 * plain mean and s²_y / n. Null with fewer than two units or no denominator.
 */
export function ratioEstimate(m: UnitMoments): Estimate | null {
  const p = ratioParts(m);
  return p && { mean: p.r, variance: p.variance, n: m.n };
}

/**
 * The pieces of the ratio estimate others build on (stats/cuped.ts): R, d̄ and Var(R), clamped
 * at 0 against rounding in the differences of large sums. Null as for ratioEstimate.
 */
export function ratioParts(m: UnitMoments): { readonly r: number; readonly dBar: number; readonly variance: number } | null {
  const n = m.n;
  if (n < 2 || !(m.den > 0)) return null;
  const r = m.sum / m.den;
  const dBar = m.den / n;
  const syy = (m.sumSquares - (m.sum * m.sum) / n) / (n - 1);
  const sdd = (m.denSquares - (m.den * m.den) / n) / (n - 1);
  const syd = (m.cross - (m.sum * m.den) / n) / (n - 1);
  return { r, dBar, variance: Math.max(0, syy - 2 * r * syd + r * r * sdd) / (n * dBar * dBar) };
}

/** Sums of unit moments (cells of several periods, or instances). */
export function addUnitMoments(a: UnitMoments, b: UnitMoments): UnitMoments {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares, den: a.den + b.den, denSquares: a.denSquares + b.denSquares, cross: a.cross + b.cross };
}

export const EMPTY_UNIT_MOMENTS: UnitMoments = Object.freeze({ n: 0, sum: 0, sumSquares: 0, den: 0, denSquares: 0, cross: 0 });

/**
 * Effective Beta counts of a ratio estimate of a rate: the (successes, trials) whose binomial
 * variance equals the estimate's, so a Thompson posterior is as wide as the clustered data
 * warrant (trials = p(1 − p) / Var), never the raw outcome count.
 */
export function effectiveCounts(e: Estimate): { readonly successes: number; readonly trials: number } {
  const p = Math.min(1, Math.max(0, e.mean));
  if (e.variance <= 0 || p === 0 || p === 1) return { successes: p * e.n, trials: e.n };
  const trials = (p * (1 - p)) / e.variance;
  return { successes: p * trials, trials };
}
