import type { CovariateMoments, UnitMoments } from "../domain/snapshot.js";
import { ratioParts, type Estimate } from "./ratio.js";

/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013) on the ratio estimate of stats/ratio.ts: each arm's
 * estimate R = ȳ / d̄ is adjusted by a pre-exposure covariate x (the unit's value of the same
 * metric in an earlier experiment, independent of this experiment's assignment):
 *   R* = R − θ·(x̄ − μ),  Var(R*) = Var(R) − 2θ·Cov(R, x̄) + θ²·Var(x̄),
 * with Cov(R, x̄) = (s_yx − R·s_dx) / (n·d̄) (delta method), Var(x̄) = s²_x / n, μ the mean of x
 * over both arms, and θ pooled over the arms as gbstats does:
 *   θ = (Cov_A(R, x̄) + Cov_B(R, x̄)) / (Var_A(x̄) + Var_B(x̄)).
 * θ is estimated on the data, which is consistent; the difference R*_B − R*_A stays unbiased
 * because x is independent of the arm. The variance falls by the share ρ² of the metric the
 * covariate explains. For d = 1 this is ordinary CUPED on unit means.
 * Null when an arm has fewer than two units or no denominator.
 */
export function cupedEstimates(a: CovariateMoments, b: CovariateMoments): { readonly a: Estimate; readonly b: Estimate; readonly theta: number } | null {
  const pa = parts(a);
  const pb = parts(b);
  if (!pa || !pb) return null;
  const vx = pa.vx + pb.vx;
  const theta = vx > 0 ? (pa.c + pb.c) / vx : 0;
  const mu = (a.pre + b.pre) / (a.n + b.n);
  const adjusted = (m: CovariateMoments, p: Parts): Estimate => ({
    mean: p.r - theta * (m.pre / m.n - mu),
    variance: Math.max(0, p.v - 2 * theta * p.c + theta * theta * p.vx),
    n: m.n,
  });
  return { a: adjusted(a, pa), b: adjusted(b, pb), theta };
}

interface Parts {
  readonly r: number;
  /** Var(R), Cov(R, x̄), Var(x̄). */
  readonly v: number;
  readonly c: number;
  readonly vx: number;
}

function parts(m: CovariateMoments): Parts | null {
  const p = ratioParts(m);
  if (!p) return null;
  const n = m.n;
  const sxx = (m.preSquares - (m.pre * m.pre) / n) / (n - 1);
  const syx = (m.preCross - (m.sum * m.pre) / n) / (n - 1);
  const sdx = (m.preDen - (m.den * m.pre) / n) / (n - 1);
  return { r: p.r, v: p.variance, c: (syx - p.r * sdx) / (n * p.dBar), vx: Math.max(0, sxx) / n };
}

/** The units of `all` that are not in `part` (the units without a covariate). */
export function withoutUnits(all: UnitMoments, part: UnitMoments): UnitMoments {
  return { n: all.n - part.n, sum: all.sum - part.sum, sumSquares: all.sumSquares - part.sumSquares, den: all.den - part.den, denSquares: all.denSquares - part.denSquares, cross: all.cross - part.cross };
}
