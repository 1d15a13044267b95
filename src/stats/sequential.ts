/**
 * Always-valid inference: the normal-mixture sequential probability ratio test (mSPRT) and its
 * confidence sequence, as GrowthBook and Eppo use it. Looking at the interval after every
 * event keeps the error rate at alpha, so the daemon may decide at any analysis tick.
 *
 * With N = n_A + n_B, s² = SE²·N and ρ² = (−2 ln α + ln(1 − 2 ln α))/N*, the half-width is
 *   s·√(2(Nρ²+1)/(N²ρ²) · ln(√(Nρ²+1)/α)),
 * the mSPRT with mixing variance τ² = s²ρ². N* (the tuning) is the total sample size at which
 * the interval is tightest; choose it near the units an experiment usually ends with.
 */

function rhoSquared(alpha: number, tuning: number): number {
  return (-2 * Math.log(alpha) + Math.log(1 - 2 * Math.log(alpha))) / tuning;
}

/** Half-width of the two-sided (1 − alpha) confidence sequence. */
export function sequentialHalfWidth(se: number, n: number, alpha: number, tuning: number): number {
  if (!(n > 0) || !(se >= 0)) return Number.POSITIVE_INFINITY;
  const s2 = se * se * n;
  const rho2 = rhoSquared(alpha, tuning);
  const nr = n * rho2;
  return Math.sqrt(s2 * ((2 * (nr + 1)) / (n * n * rho2)) * Math.log(Math.sqrt(nr + 1) / alpha));
}

/** Two-sided always-valid interval at level 1 − alpha. */
export function sequentialInterval(effect: number, se: number, n: number, alpha: number, tuning: number): [number, number] {
  const half = sequentialHalfWidth(se, n, alpha, tuning);
  return [effect - half, effect + half];
}

/**
 * One-sided always-valid bound at level 1 − alpha: the two-sided sequence at 2·alpha, one side.
 * `side` "lower" bounds the effect from below (effect ≥ bound), "upper" from above.
 */
export function sequentialBound(effect: number, se: number, n: number, alpha: number, tuning: number, side: "lower" | "upper"): number {
  const half = sequentialHalfWidth(se, n, Math.min(2 * alpha, 0.999), tuning);
  return side === "lower" ? effect - half : effect + half;
}

/**
 * Always-valid two-sided p-value at this look: 1/Λ for the mixture likelihood ratio
 * Λ = √(1/(1+Nρ²))·exp(θ̂²ρ²N²/(2s²(1+Nρ²))), with ρ set by the configured alpha, so that
 * p ≤ alpha exactly when the interval excludes zero. Over a running experiment take the
 * running minimum.
 */
export function sequentialPValue(effect: number, se: number, n: number, alpha: number, tuning: number): number {
  if (!(n > 0)) return 1;
  if (se === 0) return effect === 0 ? 1 : 0;
  const s2 = se * se * n;
  const rho2 = rhoSquared(alpha, tuning);
  const nr = n * rho2;
  const logLambda = -0.5 * Math.log(1 + nr) + (effect * effect * rho2 * n * n) / (2 * s2 * (1 + nr));
  return Math.min(1, Math.exp(-logLambda));
}
