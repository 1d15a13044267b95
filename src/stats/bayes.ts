import { logBeta, normalCdf, normalPdf } from "./distributions.js";

/** A normal prior on the effect. */
export interface NormalPrior {
  readonly mean: number;
  readonly variance: number;
}

export interface BayesSummary {
  readonly posteriorMean: number;
  readonly posteriorSd: number;
  /** P(effect > 0), or P(effect < 0) when lower is better. */
  readonly chanceToWin: number;
  /** E[max(0, −effect)] (mirrored when lower is better): what choosing the treatment risks. */
  readonly expectedLoss: number;
}

/**
 * Normal posterior on the effect: N(effect, SE²) under a flat prior, or the conjugate update
 * with a normal prior.
 */
export function bayesSummary(effect: number, se: number, direction: "increase" | "decrease", prior?: NormalPrior): BayesSummary {
  let mean = effect;
  let variance = se * se;
  if (prior && prior.variance > 0 && variance > 0) {
    const precision = 1 / prior.variance + 1 / variance;
    mean = (prior.mean / prior.variance + effect / variance) / precision;
    variance = 1 / precision;
  }
  const sd = Math.sqrt(variance);
  // Mirror for lower-is-better so "good" is always the positive side.
  const good = direction === "increase" ? mean : -mean;
  if (sd === 0) return { posteriorMean: mean, posteriorSd: 0, chanceToWin: good > 0 ? 1 : good < 0 ? 0 : 0.5, expectedLoss: Math.max(0, -good) };
  const z = good / sd;
  return {
    posteriorMean: mean,
    posteriorSd: sd,
    chanceToWin: normalCdf(z),
    // E[max(0, −X)] for X ~ N(good, sd²).
    expectedLoss: sd * normalPdf(z) - good * normalCdf(-z),
  };
}

/**
 * Exact P(p_B > p_A) for Beta posteriors with integer α_B (Evan Miller's closed form):
 * Σ_{i<α_B} B(α_A+i, β_A+β_B) / ((β_B+i)·B(1+i, β_B)·B(α_A, β_A)).
 */
export function probabilityBBeatsA(alphaA: number, betaA: number, alphaB: number, betaB: number): number {
  if (!Number.isInteger(alphaB) || alphaB < 1) throw new RangeError("alphaB must be a positive integer");
  let total = 0;
  const base = logBeta(alphaA, betaA);
  for (let i = 0; i < alphaB; i++) {
    total += Math.exp(logBeta(alphaA + i, betaA + betaB) - Math.log(betaB + i) - logBeta(1 + i, betaB) - base);
  }
  return Math.min(1, Math.max(0, total));
}
